package export

import (
	"fmt"

	"t2c/tensor"
)

// Word is the width and signedness of the integers of a tensor: what its
// hex files hold, independent of the (possibly wider) storage dtype.
type Word struct {
	Bits   int  `json:"bits"`
	Signed bool `json:"signed"`
}

// WordOf is the full word of a storage dtype: 8 signed for int8, 32
// unsigned for uint32, 32 for float32 (hex holds its IEEE-754 bits), 1 for
// bool.
func WordOf(d tensor.DType) Word {
	switch d {
	case tensor.Bool:
		return Word{Bits: 1}
	case tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64, tensor.Float32, tensor.Float64:
		return Word{Bits: 8 * d.Size(), Signed: true}
	}
	return Word{Bits: 8 * d.Size()}
}

// Min is the smallest value of the word.
func (w Word) Min() int64 {
	if w.Signed {
		return -1 << (w.Bits - 1)
	}
	return 0
}

// Max is the largest value of the word (for unsigned 64-bit words the
// largest int64, the widest value this package handles).
func (w Word) Max() int64 {
	switch {
	case w.Signed:
		return 1<<(w.Bits-1) - 1
	case w.Bits >= 63:
		return 1<<63 - 1
	}
	return 1<<w.Bits - 1
}

// Digits is the number of hex digits of one word: ceil(Bits/4).
func (w Word) Digits() int { return (w.Bits + 3) / 4 }

// Check fails unless 1 ≤ Bits ≤ 64.
func (w Word) Check() error {
	if w.Bits < 1 || w.Bits > 64 {
		return fmt.Errorf("word of %d bits: want 1–64", w.Bits)
	}
	return nil
}

// Fits reports whether v is a value of the word.
func (w Word) Fits(v int64) bool { return v >= w.Min() && v <= w.Max() }

// String is "8-bit signed" or "4-bit unsigned".
func (w Word) String() string {
	if w.Signed {
		return fmt.Sprintf("%d-bit signed", w.Bits)
	}
	return fmt.Sprintf("%d-bit unsigned", w.Bits)
}
