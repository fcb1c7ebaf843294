package tensor

import "fmt"

// BroadcastShapes returns the NumPy/ONNX multidirectional broadcast of the
// given shapes, or an error naming the incompatible dimension.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch {
			case d == out[off+i] || d == 1:
			case out[off+i] == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v are not broadcast-compatible (dimension %d: %d vs %d)", shapes, off+i-rank, out[off+i], d)
			}
		}
	}
	return out, nil
}

// BroadcastStrides returns strides that read a tensor of shape in as if it had
// shape out: broadcast (size-1 or missing) dimensions get stride 0.
func BroadcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	src := Strides(in)
	off := len(out) - len(in)
	for i := range in {
		if in[i] != 1 {
			st[off+i] = src[i]
		}
	}
	return st
}

// ForEachRow walks an output of shape out row by row (a row is the last
// dimension) and calls f with the output offset and, for each input stride
// set, the input offset of the row start and the stride along the row.
// It is the skeleton of every broadcasting elementwise op.
func ForEachRow(out []int, strides [][]int, f func(outOff int, inOff []int, inStep []int, n int)) {
	if len(out) == 0 {
		zero := make([]int, len(strides))
		f(0, zero, zero, 1)
		return
	}
	if NumElems(out) == 0 {
		return
	}
	rank := len(out)
	n := out[rank-1]
	steps := make([]int, len(strides))
	for k, s := range strides {
		steps[k] = s[rank-1]
	}
	idx := make([]int, rank-1)
	offs := make([]int, len(strides))
	rows := NumElems(out[:rank-1])
	for r := 0; r < rows; r++ {
		f(r*n, offs, steps, n)
		// advance the odometer over the leading dimensions
		for d := rank - 2; d >= 0; d-- {
			idx[d]++
			for k, s := range strides {
				offs[k] += s[d]
			}
			if idx[d] < out[d] {
				break
			}
			for k, s := range strides {
				offs[k] -= s[d] * out[d]
			}
			idx[d] = 0
		}
	}
}

// Binary applies f elementwise to a and b with broadcasting and returns a
// new tensor of element type R.
func Binary[T, R Elem](a, b *Tensor, f func(x, y T) R) (*Tensor, error) {
	shape, err := BroadcastShapes(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	out := Zeros(DTypeOf[R](), shape...)
	BinaryInto(out, a, b, f)
	return out, nil
}

// BinaryInto is Binary writing into out, whose shape must be the broadcast
// shape of a and b.
func BinaryInto[T, R Elem](out, a, b *Tensor, f func(x, y T) R) {
	o, x, y := Data[R](out), Data[T](a), Data[T](b)
	if SameShape(a.shape, b.shape) {
		for i := range o {
			o[i] = f(x[i], y[i])
		}
		return
	}
	st := [][]int{BroadcastStrides(a.shape, out.shape), BroadcastStrides(b.shape, out.shape)}
	ForEachRow(out.shape, st, func(oo int, in, step []int, n int) {
		ia, ib := in[0], in[1]
		for j := 0; j < n; j++ {
			o[oo+j] = f(x[ia], y[ib])
			ia += step[0]
			ib += step[1]
		}
	})
}

// Unary applies f to every element of a.
func Unary[T, R Elem](a *Tensor, f func(x T) R) *Tensor {
	out := Zeros(DTypeOf[R](), a.shape...)
	o, x := Data[R](out), Data[T](a)
	for i, v := range x {
		o[i] = f(v)
	}
	return out
}

// Where selects x where cond is true and y elsewhere, broadcasting all three.
func Where(cond, x, y *Tensor) (*Tensor, error) {
	if x.dtype != y.dtype {
		return nil, fmt.Errorf("where: x is %v but y is %v", x.dtype, y.dtype)
	}
	if cond.dtype != Bool {
		return nil, fmt.Errorf("where: condition is %v, want bool", cond.dtype)
	}
	shape, err := BroadcastShapes(cond.shape, x.shape, y.shape)
	if err != nil {
		return nil, err
	}
	out := Zeros(x.dtype, shape...)
	st := [][]int{BroadcastStrides(cond.shape, shape), BroadcastStrides(x.shape, shape), BroadcastStrides(y.shape, shape)}
	c := cond.Bool()
	move(out, []*Tensor{x, y}, whereK[uint8](shape, st, c), whereK[uint16](shape, st, c), whereK[uint32](shape, st, c), whereK[uint64](shape, st, c))
	return out, nil
}

func whereK[W word](shape []int, st [][]int, c []bool) moveFunc[W] {
	return func(o []W, src [][]W) {
		x, y := src[0], src[1]
		ForEachRow(shape, st, func(oo int, in, step []int, n int) {
			ic, ix, iy := in[0], in[1], in[2]
			for j := 0; j < n; j++ {
				if c[ic] {
					o[oo+j] = x[ix]
				} else {
					o[oo+j] = y[iy]
				}
				ic += step[0]
				ix += step[1]
				iy += step[2]
			}
		})
	}
}

// Expand broadcasts t to shape (which itself may broadcast with t's shape).
func Expand(t *Tensor, shape []int) (*Tensor, error) {
	full, err := BroadcastShapes(t.shape, shape)
	if err != nil {
		return nil, err
	}
	return BroadcastTo(t, full), nil
}

// BroadcastTo materialises t broadcast to shape, which must be a valid
// broadcast target of t's shape.
func BroadcastTo(t *Tensor, shape []int) *Tensor {
	out := Zeros(t.dtype, shape...)
	st := [][]int{BroadcastStrides(t.shape, shape)}
	move(out, []*Tensor{t}, expandK[uint8](shape, st), expandK[uint16](shape, st), expandK[uint32](shape, st), expandK[uint64](shape, st))
	return out
}

func expandK[W word](shape []int, st [][]int) moveFunc[W] {
	return func(o []W, src [][]W) {
		x := src[0]
		ForEachRow(shape, st, func(oo int, in, step []int, n int) {
			i := in[0]
			for j := 0; j < n; j++ {
				o[oo+j] = x[i]
				i += step[0]
			}
		})
	}
}
