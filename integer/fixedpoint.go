package integer

import (
	"fmt"
	"math"
)

// Format selects how real rescale factors become integers
// (docs/INTEGER.md §3).
type Format struct {
	// Kind is "fixed" (Torch2Chip's swl/sfl: one shift for every
	// multiplier) or "dyadic" (normalised 31-bit mantissa and a shift per
	// channel).
	Kind string
	// SWL and SFL are the word and fraction lengths of "fixed".
	SWL, SFL int
}

// Format kinds.
const (
	FormatFixed  = "fixed"
	FormatDyadic = "dyadic"
)

// DefaultFormat is Torch2Chip's 32-bit word with 26 fraction bits.
func DefaultFormat() Format { return Format{Kind: FormatFixed, SWL: 32, SFL: 26} }

// Validate checks the format.
func (f Format) Validate() error {
	switch f.Kind {
	case FormatDyadic:
		return nil
	case FormatFixed:
		if f.SWL < 2 || f.SWL > 32 || f.SFL < 1 || f.SFL >= 62 {
			return fmt.Errorf("fixed-point format swl=%d sfl=%d: want 2 ≤ swl ≤ 32 and 1 ≤ sfl < 62", f.SWL, f.SFL)
		}
		return nil
	}
	return fmt.Errorf("unknown fixed-point format %q (want %q or %q)", f.Kind, FormatFixed, FormatDyadic)
}

// MaxMultiplier is the largest |M| the format represents.
func (f Format) MaxMultiplier() float64 {
	if f.Kind == FormatFixed {
		return math.Ldexp(1, f.SWL-1-f.SFL)
	}
	return math.Ldexp(1, 61)
}

// Fixed is one rescale y ≈ M·x + B in integers: y = rshift(x·M + B, Shift)
// with M and B the integer Multiplier and Bias.
type Fixed struct {
	Multiplier int64
	Shift      int
	Bias       int64
}

// Encode converts the real factor m and bias b (in output units) to the
// format. It fails if m does not fit (fixed) or the bias overflows int64
// headroom.
func (f Format) Encode(m, b float64) (Fixed, error) {
	if math.IsNaN(m) || math.IsInf(m, 0) || math.IsNaN(b) || math.IsInf(b, 0) {
		return Fixed{}, fmt.Errorf("rescale factor %v, bias %v are not finite", m, b)
	}
	shift := f.SFL
	if f.Kind == FormatDyadic {
		shift = dyadicShift(m, b)
	}
	mi := math.RoundToEven(math.Ldexp(m, shift))
	if f.Kind == FormatDyadic && shift > 0 && math.Abs(mi) >= math.Ldexp(1, 31) {
		// |M| just below a power of two rounds up to a 32-bit mantissa
		// 2³¹: renormalise one bit down, where it is exactly 2³⁰.
		shift--
		mi = math.RoundToEven(math.Ldexp(m, shift))
	}
	limit := math.Ldexp(1, 31)
	if f.Kind == FormatFixed {
		limit = math.Ldexp(1, f.SWL-1)
	}
	if math.Abs(mi) >= limit {
		return Fixed{}, fmt.Errorf("multiplier %.6g does not fit the %s format (|M| < %.6g)", m, f, f.MaxMultiplier())
	}
	bi := math.RoundToEven(math.Ldexp(b, shift))
	if math.Abs(bi) >= math.Ldexp(1, 62) {
		return Fixed{}, fmt.Errorf("bias %.6g overflows 62 bits at shift %d", b, shift)
	}
	return Fixed{Multiplier: int64(mi), Shift: shift, Bias: int64(bi)}, nil
}

// dyadicShift normalises m to a 31-bit mantissa (2³⁰ ≤ |m·2^s| < 2³¹), with
// s capped so that the bias stays below 2⁶¹ and s ∈ [0, 62].
func dyadicShift(m, b float64) int {
	s := 62
	if m != 0 {
		_, e := math.Frexp(m) // |m| = f·2^e, f ∈ [0.5, 1)
		s = 31 - e
	}
	if b != 0 {
		_, eb := math.Frexp(b)
		s = min(s, 61-eb)
	}
	return max(0, min(s, 62))
}

// String names the format as in configs ("fixed(32,26)", "dyadic").
func (f Format) String() string {
	if f.Kind == FormatFixed {
		return fmt.Sprintf("fixed(swl=%d,sfl=%d)", f.SWL, f.SFL)
	}
	return f.Kind
}

// RShift is the rounding right shift of docs/INTEGER.md §2: round half up,
// (t + 2^(s−1)) >> s.
func RShift(t int64, s int) int64 {
	if s <= 0 {
		return t
	}
	return (t + int64(1)<<(s-1)) >> s
}

// Clamp limits v to [lo, hi].
func Clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }
