package integer

import (
	"fmt"
	"math/bits"

	"t2c/graph"
	"t2c/tensor"
)

// intElem is an element type the integer ops read: the storage types of
// grids (docs/INTEGER.md §1).
type intElem interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32
}

// dtypeRange is the value range of an integer storage type.
func dtypeRange(d tensor.DType) (lo, hi int64, ok bool) {
	switch d {
	case tensor.Int8:
		return -1 << 7, 1<<7 - 1, true
	case tensor.Uint8:
		return 0, 1<<8 - 1, true
	case tensor.Int16:
		return -1 << 15, 1<<15 - 1, true
	case tensor.Uint16:
		return 0, 1<<16 - 1, true
	case tensor.Int32:
		return -1 << 31, 1<<31 - 1, true
	}
	return 0, 0, false
}

// checkIntInput fails unless d is one of the integer storage types.
func checkIntInput(what string, d tensor.DType) error {
	if _, _, ok := dtypeRange(d); !ok {
		return fmt.Errorf("%s is %v; integer ops read int8, uint8, int16, uint16 or int32", what, d)
	}
	return nil
}

// maxOffset is the largest |v − z| over the values v of type d.
func maxOffset(d tensor.DType, z int64) uint64 {
	lo, hi, _ := dtypeRange(d)
	return max(uabs(z-lo), uabs(hi-z))
}

// operand is an input of a rescaling op with its zero point; t is nil
// during shape inference.
type operand struct {
	d tensor.DType
	t *tensor.Tensor
	z int64
}

// noOverflow proves that an op's int64 arithmetic cannot overflow: fits
// receives the largest |x − z| of each operand, first as its type allows
// and, when that is too wide, as the values at hand hold. Wide int32 grids
// keep |q| well below 2³¹ (docs/INTEGER.md §1), which their type alone
// cannot show. decided is false when the type bound fails and the values
// are not known yet (shape inference): the run decides.
func noOverflow(fits func(xmax []uint64) bool, ops ...operand) (ok, decided bool) {
	xmax := make([]uint64, len(ops))
	for i, o := range ops {
		xmax[i] = maxOffset(o.d, o.z)
	}
	if fits(xmax) {
		return true, true
	}
	for i, o := range ops {
		if o.t == nil {
			return false, false
		}
		xmax[i] = dataMaxOffset(o.t, o.z)
	}
	return fits(xmax), true
}

// dataMaxOffset is the largest |v − z| over the values of t.
func dataMaxOffset(t *tensor.Tensor, z int64) uint64 {
	switch t.DType() {
	case tensor.Int8:
		return maxOffsetOf(t.Int8(), z)
	case tensor.Uint8:
		return maxOffsetOf(t.Uint8(), z)
	case tensor.Int16:
		return maxOffsetOf(tensor.Data[int16](t), z)
	case tensor.Uint16:
		return maxOffsetOf(tensor.Data[uint16](t), z)
	}
	return maxOffsetOf(t.Int32(), z)
}

func maxOffsetOf[T intElem](v []T, z int64) uint64 {
	if len(v) == 0 {
		return 0
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return max(uabs(int64(lo)-z), uabs(int64(hi)-z))
}

// uabs is |v| as an unsigned integer (exact for every int64).
func uabs(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// productsFit reports whether Σ pᵢ·qᵢ < 2⁶³ for the pairs (p₀, q₀, p₁,
// q₁, …): the int64 arithmetic of a rescale whose terms are bounded so can
// never overflow. It is checked once per run from the input types, so the
// element loops need no checks and are exact.
func productsFit(pq ...uint64) bool {
	var total uint64
	for i := 0; i+1 < len(pq); i += 2 {
		hi, lo := bits.Mul64(pq[i], pq[i+1])
		if hi != 0 {
			return false
		}
		var carry uint64
		if total, carry = bits.Add64(total, lo, 0); carry != 0 {
			return false
		}
	}
	return total < 1<<63
}

// roundingHalf is 2^(s−1), the constant rshift adds before shifting (0 for
// s = 0).
func roundingHalf(s int) int64 {
	if s <= 0 {
		return 0
	}
	return 1 << (s - 1)
}

// requireInputs checks that inputs 0..n−1 are present.
func requireInputs(in []*tensor.Tensor, n int) error {
	if len(in) < n {
		return fmt.Errorf("needs %d inputs, got %d", n, len(in))
	}
	for i := 0; i < n; i++ {
		if in[i] == nil {
			return fmt.Errorf("input %d is required", i)
		}
	}
	return nil
}

// requireInfos is requireInputs for shape inference.
func requireInfos(in []graph.ValueInfo, n int) error {
	if len(in) < n {
		return fmt.Errorf("needs %d inputs, got %d", n, len(in))
	}
	return nil
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// parallelGrain is how many elements a goroutine of an elementwise integer
// op gets at least: below this, forking costs more than it saves.
const parallelGrain = 1 << 15
