package export

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"t2c/tensor"
)

func TestHexWordHandChecked(t *testing.T) {
	for _, c := range []struct {
		v    int64
		bits int
		want string
	}{
		{-1, 4, "f"}, {-8, 4, "8"}, {7, 4, "7"}, {0, 4, "0"}, {5, 4, "5"},
		{-1, 8, "ff"}, {-128, 8, "80"}, {127, 8, "7f"}, {10, 8, "0a"},
		{-1, 16, "ffff"}, {-32768, 16, "8000"}, {-2, 16, "fffe"}, {4660, 16, "1234"},
		{-1, 32, "ffffffff"}, {-2147483648, 32, "80000000"}, {-2, 32, "fffffffe"}, {255, 32, "000000ff"},
		{-3, 6, "3d"}, {300, 12, "12c"}, {1, 1, "1"},
		{-1, 64, "ffffffffffffffff"}, {1 << 62, 64, "4000000000000000"},
	} {
		if got := HexWord(c.v, Word{Bits: c.bits, Signed: true}); got != c.want {
			t.Errorf("HexWord(%d, %d bits) = %q, want %q", c.v, c.bits, got, c.want)
		}
	}
}

func TestHexRoundTrip(t *testing.T) {
	for _, c := range []struct {
		w    Word
		vals []int64
	}{
		{Word{4, true}, []int64{-8, -1, 0, 1, 7}},
		{Word{4, false}, []int64{0, 1, 9, 15}},
		{Word{8, true}, []int64{-128, -1, 0, 127}},
		{Word{8, false}, []int64{0, 128, 255}},
		{Word{16, true}, []int64{-32768, -300, 32767}},
		{Word{32, true}, []int64{-2147483648, -1, 2147483647}},
		{Word{64, true}, []int64{-1 << 63, -5, 1<<63 - 1}},
	} {
		var buf bytes.Buffer
		x := fromInts(storageOf(c.w), []int{len(c.vals)}, c.vals)
		if err := WriteHex(&buf, x, c.w); err != nil {
			t.Fatalf("%v: %v", c.w, err)
		}
		if lines := strings.Count(buf.String(), "\n"); lines != len(c.vals) {
			t.Errorf("%v: %d lines, want %d", c.w, lines, len(c.vals))
		}
		got, err := ReadHex(&buf, c.w)
		if err != nil || !slices.Equal(got, c.vals) {
			t.Errorf("%v: read back %v (%v), want %v", c.w, got, err, c.vals)
		}
	}
}

func TestWriteHexFile(t *testing.T) {
	// 4-bit weights stored in int8: one digit per line, row-major.
	w := tensor.New([]int{2, 2}, []int8{-1, 7, -8, 0})
	var buf bytes.Buffer
	if err := WriteHex(&buf, w, Word{Bits: 4, Signed: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "f\n7\n8\n0\n"; got != want {
		t.Errorf("hex = %q, want %q", got, want)
	}
	// A value outside the word is an error, not a silent wrap.
	if err := WriteHex(&buf, tensor.New([]int{1}, []int8{8}), Word{Bits: 4, Signed: true}); err == nil {
		t.Error("8 written as a 4-bit signed word without error")
	}
	if err := WriteHex(&buf, tensor.New([]int{1}, []uint8{200}), Word{Bits: 8, Signed: true}); err == nil {
		t.Error("200 written as an 8-bit signed word without error")
	}
	// Floats are IEEE-754 bit patterns.
	buf.Reset()
	if err := WriteHex(&buf, tensor.New([]int{2}, []float32{1, -2}), WordOf(tensor.Float32)); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "3f800000\nc0000000\n"; got != want {
		t.Errorf("float hex = %q, want %q", got, want)
	}
}

func TestReadHexRejects(t *testing.T) {
	if _, err := ReadHex(strings.NewReader("1f\n"), Word{Bits: 4, Signed: true}); err == nil {
		t.Error("a 5-bit word read as 4 bits without error")
	}
	if _, err := ReadHex(strings.NewReader("zz\n"), Word{Bits: 8}); err == nil {
		t.Error("non-hex line read without error")
	}
	got, err := ReadHex(strings.NewReader("// comment\nff\n\n01 // one\n"), Word{Bits: 8, Signed: true})
	if err != nil || !slices.Equal(got, []int64{-1, 1}) {
		t.Errorf("comments and blank lines: got %v, %v", got, err)
	}
}
