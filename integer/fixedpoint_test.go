package integer

import (
	"math"
	"strings"
	"testing"
)

// RShift rounds half up: t/2^s with ties towards +∞ (docs/INTEGER.md §2).
func TestRShiftRoundsHalfUp(t *testing.T) {
	for _, c := range []struct {
		t    int64
		s    int
		want int64
	}{
		{1, 1, 1},   // +0.5 → 1
		{-1, 1, 0},  // −0.5 → 0 (half up, not away from zero)
		{3, 1, 2},   // 1.5 → 2
		{-3, 1, -1}, // −1.5 → −1
		{5, 1, 3},   // 2.5 → 3 (not to even)
		{-5, 1, -2}, // −2.5 → −2
		{2, 2, 1},   // 0.5 → 1
		{-2, 2, 0},  // −0.5 → 0
		{-6, 2, -1}, // −1.5 → −1
		{7, 2, 2},   // 1.75 → 2
		{-7, 2, -2}, // −1.75 → −2
		{5, 2, 1},   // 1.25 → 1
		{-5, 2, -1}, // −1.25 → −1
		{42, 0, 42}, // s = 0 is the identity
		{-42, 0, -42},
		{1 << 40, 40, 1},
		{1<<39 - 1, 40, 0}, // just below one half
	} {
		if got := RShift(c.t, c.s); got != c.want {
			t.Errorf("RShift(%d, %d) = %d, want %d", c.t, c.s, got, c.want)
		}
	}
	if Clamp(-3, 0, 5) != 0 || Clamp(9, 0, 5) != 5 || Clamp(4, 0, 5) != 4 {
		t.Error("Clamp")
	}
}

func TestEncodeFixed(t *testing.T) {
	f := DefaultFormat()
	// M = 0.1: m = round(0.1·2^26) = round(6 710 886.4) = 6 710 886, s = 26;
	// B = −2.5: b = −2.5·2^26 = −167 772 160.
	got, err := f.Encode(0.1, -2.5)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Fixed{Multiplier: 6710886, Shift: 26, Bias: -167772160}); got != want {
		t.Fatalf("Encode(0.1, −2.5) = %+v, want %+v", got, want)
	}
	// The largest multiplier that fits a signed 32-bit word with 26 fraction
	// bits is just below 2^5 = 32.
	if _, err := f.Encode(31.99, 0); err != nil {
		t.Errorf("31.99 should fit fixed(32,26): %v", err)
	}
	for _, m := range []float64{32, -32, 40, math.Inf(1), math.NaN()} {
		if _, err := f.Encode(m, 0); err == nil {
			t.Errorf("Encode(%v) in fixed(32,26) should fail", m)
		}
	}
	// A narrower word: fixed(16, 8) holds |M| < 2^7.
	if _, err := (Format{Kind: FormatFixed, SWL: 16, SFL: 8}).Encode(128, 0); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("fixed(16,8) should reject 128: %v", err)
	}
}

func TestEncodeDyadic(t *testing.T) {
	f := Format{Kind: FormatDyadic}
	// M = 0.1 = 0.8·2^−3: s = 30 − floor(log2 0.1) = 30 + 4 = 34 and
	// m = round(0.1·2^34) = round(1 717 986 918.4) = 1 717 986 918.
	got, err := f.Encode(0.1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Multiplier != 1717986918 || got.Shift != 34 {
		t.Fatalf("Encode(0.1) = %+v, want m 1717986918 s 34", got)
	}
	for _, m := range []float64{0.1, 1, -1, 0.75, 3e-5, -17.3, 1000, 1 - 0x1p-40, -(1 - 0x1p-40), 0x1p-20 * (1 - 0x1p-45)} {
		e, err := f.Encode(m, 1.5)
		if err != nil {
			t.Fatalf("Encode(%v): %v", m, err)
		}
		a := e.Multiplier
		if a < 0 {
			a = -a
		}
		if a < 1<<30 || a >= 1<<31 {
			t.Errorf("Encode(%v): mantissa %d not normalised to [2^30, 2^31)", m, e.Multiplier)
		}
		if back := math.Ldexp(float64(e.Multiplier), -e.Shift); math.Abs(back-m) > math.Abs(m)*0x1p-30 {
			t.Errorf("Encode(%v) = %+v represents %v", m, e, back)
		}
		if back := math.Ldexp(float64(e.Bias), -e.Shift); back != 1.5 {
			t.Errorf("Encode(%v) bias %d at shift %d represents %v, want 1.5", m, e.Bias, e.Shift, back)
		}
	}
	// A large bias caps the shift: |b| stays below 2^61.
	e, err := f.Encode(1e-6, 3e9)
	if err != nil {
		t.Fatal(err)
	}
	if e.Bias >= 1<<61 || e.Shift > 62 {
		t.Errorf("Encode(1e-6, 3e9) = %+v: bias or shift out of range", e)
	}
	if e, err := f.Encode(0, 0); err != nil || e.Multiplier != 0 {
		t.Errorf("Encode(0, 0) = %+v, %v", e, err)
	}
}
