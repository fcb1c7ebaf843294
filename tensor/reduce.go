package tensor

import (
	"fmt"
	"slices"
)

// NormalizeAxes maps negative axes to positive ones, checks range and
// duplicates, and returns them sorted.
func NormalizeAxes(axes []int, rank int) ([]int, error) {
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < -rank || a >= rank {
			return nil, fmt.Errorf("axis %d out of range for rank %d", a, rank)
		}
		if a < 0 {
			a += rank
		}
		out[i] = a
	}
	slices.Sort(out)
	if len(slices.Compact(slices.Clone(out))) != len(out) {
		return nil, fmt.Errorf("duplicate axes %v", axes)
	}
	return out, nil
}

// ReducedShape returns the shape after reducing axes: kept as size 1 when
// keepdims, removed otherwise.
func ReducedShape(shape, axes []int, keepdims bool) []int {
	var out []int
	for d, n := range shape {
		if slices.Contains(axes, d) {
			if keepdims {
				out = append(out, 1)
			}
			continue
		}
		out = append(out, n)
	}
	return out
}

// Reduce folds the elements of t over axes (normalised) with f, starting each
// output element from init.
func Reduce[T Number](t *Tensor, axes []int, keepdims bool, init T, f func(acc, v T) T) *Tensor {
	kept := ReducedShape(t.shape, axes, true)
	out := Zeros(t.dtype, kept...)
	o, x := Data[T](out), Data[T](t)
	for i := range o {
		o[i] = init
	}
	st := [][]int{BroadcastStrides(kept, t.shape)}
	ForEachRow(t.shape, st, func(io int, in, step []int, n int) {
		oi := in[0]
		for j := 0; j < n; j++ {
			o[oi] = f(o[oi], x[io+j])
			oi += step[0]
		}
	})
	if !keepdims {
		out.shape = ReducedShape(t.shape, axes, false)
	}
	return out
}

// SplitAxis views shape as (outer, dim, inner) around axis: the layout every
// single-axis op (softmax, argmax, layer norm over the last axes) iterates.
func SplitAxis(shape []int, axis int) (outer, dim, inner int) {
	return NumElems(shape[:axis]), shape[axis], NumElems(shape[axis+1:])
}

// SumTo sums a float32 tensor over the dimensions that broadcasting from
// shape to t's shape expanded, returning a tensor of shape: the adjoint of
// broadcasting, used by gradients of broadcasting ops.
func SumTo(t *Tensor, shape []int) *Tensor {
	if SameShape(t.shape, shape) {
		return t
	}
	out := Zeros(Float32, shape...)
	o, x := out.Float32(), t.Float32()
	st := [][]int{BroadcastStrides(shape, t.shape)}
	ForEachRow(t.shape, st, func(io int, in, step []int, n int) {
		oi := in[0]
		for j := 0; j < n; j++ {
			o[oi] += x[io+j]
			oi += step[0]
		}
	})
	return out
}
