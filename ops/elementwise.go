package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// arithOp names a broadcasting arithmetic op over one numeric dtype.
type arithOp uint8

const (
	opAdd arithOp = iota
	opSub
	opMul
	opDiv
	opMin
	opMax
)

var arithNames = [...]string{opAdd: "Add", opSub: "Sub", opMul: "Mul", opDiv: "Div", opMin: "Min", opMax: "Max"}

func init() {
	for _, op := range []arithOp{opAdd, opSub, opMul, opDiv} {
		graph.Register(arithNames[op], func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) {
			return arithKernel{op: op}, nil
		})
	}
	for _, op := range []arithOp{opMin, opMax} {
		graph.Register(arithNames[op], func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) {
			return arithKernel{op: op, variadic: true}, nil
		})
	}
}

// arithKernel is Add/Sub/Mul/Div (two inputs) or Min/Max (one or more
// inputs), all with multidirectional broadcasting.
type arithKernel struct {
	op       arithOp
	variadic bool
}

func (k arithKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	n := 2
	if k.variadic {
		n = max(1, len(in))
	}
	if err := need(in, n); err != nil {
		return nil, err
	}
	if k.variadic && len(in) == 1 {
		return []*tensor.Tensor{in[0]}, nil
	}
	acc, err := arith(ctx, k.op, in[0], in[1])
	for _, t := range in[2:] {
		if err != nil {
			break
		}
		acc, err = arith(ctx, k.op, acc, t)
	}
	return one(acc, err)
}

func (k arithKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	idx := make([]int, len(in))
	for i := range idx {
		idx[i] = i
	}
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	if err := sameDTypes(in, idx...); err != nil {
		return nil, err
	}
	if !isNumeric(in[0].DType) {
		return nil, fmt.Errorf("%s does not support %v", arithNames[k.op], in[0].DType)
	}
	return broadcastInfo(in[0].DType, in...)
}

// arith computes a op b with broadcasting into a buffer from ctx.
func arith(ctx *graph.Ctx, op arithOp, a, b *tensor.Tensor) (*tensor.Tensor, error) {
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("%s of %v and %v: input types differ", arithNames[op], a.DType(), b.DType())
	}
	shape, err := tensor.BroadcastShapes(a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	if op == opDiv && a.DType().IsInteger() && hasZero(b) {
		return nil, fmt.Errorf("integer division by zero")
	}
	out := ctx.Alloc(a.DType(), shape...)
	if op == opAdd && a.DType() == tensor.Float32 && tensor.SameShape(a.Shape(), b.Shape()) {
		// The residual sums of CNNs: vectorised and split over the threads.
		kernels.AddF32(out.Float32(), a.Float32(), b.Float32(), false)
		return out, nil
	}
	switch a.DType() {
	case tensor.Float32:
		arithT[float32](op, out, a, b)
	case tensor.Float64:
		arithT[float64](op, out, a, b)
	case tensor.Int8:
		arithT[int8](op, out, a, b)
	case tensor.Uint8:
		arithT[uint8](op, out, a, b)
	case tensor.Int16:
		arithT[int16](op, out, a, b)
	case tensor.Uint16:
		arithT[uint16](op, out, a, b)
	case tensor.Int32:
		arithT[int32](op, out, a, b)
	case tensor.Uint32:
		arithT[uint32](op, out, a, b)
	case tensor.Int64:
		arithT[int64](op, out, a, b)
	case tensor.Uint64:
		arithT[uint64](op, out, a, b)
	default:
		return nil, fmt.Errorf("%s does not support %v", arithNames[op], a.DType())
	}
	return out, nil
}

// hasZero reports whether an integer tensor holds a zero.
func hasZero(t *tensor.Tensor) bool {
	for _, v := range t.Int64s() {
		if v == 0 {
			return true
		}
	}
	return false
}

// arithFunc returns op as a function (the general broadcasting path).
func arithFunc[T tensor.Number](op arithOp) func(x, y T) T {
	switch op {
	case opAdd:
		return func(x, y T) T { return x + y }
	case opSub:
		return func(x, y T) T { return x - y }
	case opMul:
		return func(x, y T) T { return x * y }
	case opDiv:
		return func(x, y T) T { return x / y }
	case opMin:
		return func(x, y T) T { return min(x, y) }
	}
	return func(x, y T) T { return max(x, y) }
}

// arithT runs op over one dtype. Contiguous rows and rows against a scalar
// (the common same-shape, bias and scale cases) run in tight loops; other
// broadcasting patterns go through a function value.
func arithT[T tensor.Number](op arithOp, out, a, b *tensor.Tensor) {
	o, x, y := tensor.Data[T](out), tensor.Data[T](a), tensor.Data[T](b)
	f := arithFunc[T](op)
	zip2(out.Shape(), a.Shape(), b.Shape(), func(oo, ia, sa, ib, sb, n int) {
		os := o[oo : oo+n]
		switch {
		case sa == 1 && sb == 1:
			arithRow(op, os, x[ia:ia+n], y[ib:ib+n])
		case sa == 1 && sb == 0:
			arithRowScalar(op, os, x[ia:ia+n], y[ib])
		case sa == 0 && sb == 1 && (op == opAdd || op == opMul || op == opMin || op == opMax):
			arithRowScalar(op, os, y[ib:ib+n], x[ia]) // commutative
		default:
			for j := range os {
				os[j] = f(x[ia], y[ib])
				ia += sa
				ib += sb
			}
		}
	})
}

func arithRow[T tensor.Number](op arithOp, o, x, y []T) {
	x, y = x[:len(o)], y[:len(o)]
	switch op {
	case opAdd:
		for i := range o {
			o[i] = x[i] + y[i]
		}
	case opSub:
		for i := range o {
			o[i] = x[i] - y[i]
		}
	case opMul:
		for i := range o {
			o[i] = x[i] * y[i]
		}
	case opDiv:
		for i := range o {
			o[i] = x[i] / y[i]
		}
	case opMin:
		for i := range o {
			o[i] = min(x[i], y[i])
		}
	case opMax:
		for i := range o {
			o[i] = max(x[i], y[i])
		}
	}
}

func arithRowScalar[T tensor.Number](op arithOp, o, x []T, s T) {
	x = x[:len(o)]
	switch op {
	case opAdd:
		for i := range o {
			o[i] = x[i] + s
		}
	case opSub:
		for i := range o {
			o[i] = x[i] - s
		}
	case opMul:
		for i := range o {
			o[i] = x[i] * s
		}
	case opDiv:
		for i := range o {
			o[i] = x[i] / s
		}
	case opMin:
		for i := range o {
			o[i] = min(x[i], s)
		}
	case opMax:
		for i := range o {
			o[i] = max(x[i], s)
		}
	}
}
