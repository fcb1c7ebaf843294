package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// rowFunc is the body of a broadcasting binary kernel: it computes n output
// elements starting at output offset o, reading a from ia with step sa and
// b from ib with step sb (a step is 0 along broadcast dimensions).
type rowFunc func(o, ia, sa, ib, sb, n int)

// zip2 walks the broadcast of shapes a and b (whose result is out) in as few,
// as long rows as possible and calls row for each.
func zip2(out, a, b []int, row rowFunc) {
	n := tensor.NumElems(out)
	switch {
	case n == 0:
		return
	case tensor.NumElems(a) == n && tensor.NumElems(b) == n:
		row(0, 0, 1, 0, 1, n)
		return
	case tensor.NumElems(a) == n && tensor.NumElems(b) == 1:
		row(0, 0, 1, 0, 0, n)
		return
	case tensor.NumElems(a) == 1 && tensor.NumElems(b) == n:
		row(0, 0, 0, 0, 1, n)
		return
	}
	shape, st := coalesce(out, [][]int{tensor.BroadcastStrides(a, out), tensor.BroadcastStrides(b, out)})
	tensor.ForEachRow(shape, st, func(o int, in, step []int, n int) {
		row(o, in[0], step[0], in[1], step[1], n)
	})
}

// coalesce drops size-1 dimensions and merges adjacent dimensions that every
// stride set walks contiguously, so broadcasting loops run over long rows
// (N×C×H×W plus C×1×1 becomes N×C×(H·W)).
func coalesce(shape []int, st [][]int) ([]int, [][]int) {
	var outShape []int
	outSt := make([][]int, len(st))
	for d, n := range shape {
		if n == 1 {
			continue
		}
		k := len(outShape)
		merge := k > 0
		for i := range st {
			if merge && outSt[i][k-1] != st[i][d]*n {
				merge = false
			}
		}
		if merge {
			outShape[k-1] *= n
			for i := range st {
				outSt[i][k-1] = st[i][d]
			}
			continue
		}
		outShape = append(outShape, n)
		for i := range st {
			outSt[i] = append(outSt[i], st[i][d])
		}
	}
	return outShape, outSt
}

// bcast2 writes f(a, b) with broadcasting into out, whose shape is the
// broadcast of a's and b's.
func bcast2[A, B, R tensor.Elem](out, a, b *tensor.Tensor, f func(A, B) R) {
	o, x, y := tensor.Data[R](out), tensor.Data[A](a), tensor.Data[B](b)
	zip2(out.Shape(), a.Shape(), b.Shape(), func(oo, ia, sa, ib, sb, n int) {
		for j := range n {
			o[oo+j] = f(x[ia], y[ib])
			ia += sa
			ib += sb
		}
	})
}

// broadcastInfo is the type of a broadcasting op's output: dtype d and the
// broadcast of the given inputs' shapes (absent inputs are skipped).
func broadcastInfo(d tensor.DType, in ...graph.ValueInfo) ([]graph.ValueInfo, error) {
	var shapes [][]int
	for _, v := range in {
		if v.DType != tensor.Invalid {
			shapes = append(shapes, v.Shape)
		}
	}
	shape, err := tensor.BroadcastShapes(shapes...)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: d, Shape: shape}}, nil
}

// sameDTypes checks that the given inputs share one dtype.
func sameDTypes(in []graph.ValueInfo, idx ...int) error {
	for _, i := range idx[1:] {
		if i < len(in) && in[i].DType != tensor.Invalid && in[i].DType != in[idx[0]].DType {
			return fmt.Errorf("input %d is %v but input %d is %v", i, in[i].DType, idx[0], in[idx[0]].DType)
		}
	}
	return nil
}

// inferByRunning infers output types of a kernel whose output shapes depend
// on the values of some inputs (shape, axes, pads ...): those inputs must be
// compile-time constants; the others are replaced by zeros and the kernel is
// run. It errors instead of silently running on zero-valued shape inputs.
func inferByRunning(k graph.Kernel, in []graph.ValueInfo, consts []*tensor.Tensor, valueInputs ...int) ([]graph.ValueInfo, error) {
	for _, i := range valueInputs {
		if i < len(in) && in[i].DType != tensor.Invalid && consts[i] == nil {
			return nil, fmt.Errorf("input %d (%q) determines the output shape and must be a compile-time constant", i, in[i].Name)
		}
	}
	args := make([]*tensor.Tensor, len(in))
	for i, v := range in {
		switch {
		case consts[i] != nil:
			args[i] = consts[i]
		case v.DType != tensor.Invalid:
			args[i] = tensor.Zeros(v.DType, v.Shape...)
		}
	}
	outs, err := k.Run(nil, args)
	if err != nil {
		return nil, err
	}
	infos := make([]graph.ValueInfo, len(outs))
	for i, o := range outs {
		if o != nil {
			infos[i] = graph.ValueInfo{DType: o.DType(), Shape: o.Shape()}
		}
	}
	return infos, nil
}

// sameInfo is the type rule of shape-preserving unary ops.
func sameInfo(in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: in[0].Shape}}, nil
}
