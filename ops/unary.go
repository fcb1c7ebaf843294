package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// intOp selects the integer version of a unary op (intNone: floats only).
type intOp uint8

const (
	intNone intOp = iota
	intNeg
	intAbs
	intRelu
)

func init() {
	register := func(name string, f, df func(x, y float64) float64, iop intOp) {
		graph.Register(name, func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) {
			return unaryKernel{name: name, f: func(x float64) float64 { return f(x, 0) }, df: df, iop: iop, f32: float32Loops[iop]}, nil
		})
	}
	of := func(f func(float64) float64) func(x, _ float64) float64 {
		return func(x, _ float64) float64 { return f(x) }
	}
	register("Neg", of(func(x float64) float64 { return -x }), func(_, _ float64) float64 { return -1 }, intNeg)
	register("Abs", of(math.Abs), func(x, _ float64) float64 { return sign(x) }, intAbs)
	register("Relu", of(func(x float64) float64 { return max(x, 0) }), func(x, _ float64) float64 { return step(x) }, intRelu)
	register("Exp", of(math.Exp), func(_, y float64) float64 { return y }, intNone)
	register("Sqrt", of(math.Sqrt), func(_, y float64) float64 { return 0.5 / y }, intNone)
	register("Erf", of(math.Erf), func(x, _ float64) float64 { return 2 / math.SqrtPi * math.Exp(-x*x) }, intNone)
	register("Tanh", of(math.Tanh), func(_, y float64) float64 { return 1 - y*y }, intNone)
	register("Sigmoid", of(sigmoid), func(_, y float64) float64 { return y * (1 - y) }, intNone)
	graph.Register("Identity", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) { return identityKernel{}, nil })
}

// step is the derivative of ReLU (0 at the kink, as in PyTorch).
func step(x float64) float64 {
	if x > 0 {
		return 1
	}
	return 0
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// unaryKernel applies a scalar function elementwise. Float inputs are
// computed in float64 and rounded back; integer inputs use iop when set.
type unaryKernel struct {
	name string
	f    func(float64) float64
	iop  intOp
	f32  func(o, x []float32)       // optional float32 fast path
	df   func(x, y float64) float64 // derivative from input x and output y
	d32  func(x float32) float32    // optional float32 fast derivative
	// grad32, when set, is the float32 backward over whole slices:
	// dx = dy·f'(x) (vectorised).
	grad32 func(dx, dy, x []float32)
}

// float32Loops are tight float32 loops for the ops with integer versions.
var float32Loops = map[intOp]func(o, x []float32){
	intNeg: func(o, x []float32) {
		for i, v := range x {
			o[i] = -v
		}
	},
	intRelu: kernels.ReluF32,
}

func (k unaryKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	out, err := sameInfo(in)
	if err == nil && !k.supports(in[0].DType) {
		err = fmt.Errorf("%s does not support %v", k.name, in[0].DType)
	}
	return out, err
}

func (k unaryKernel) supports(d tensor.DType) bool {
	return d.IsFloat() || (k.iop != intNone && d.IsInteger())
}

func (k unaryKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if k.f32 != nil && x.DType() == tensor.Float32 {
		out := ctx.Alloc(tensor.Float32, x.Shape()...)
		k.f32(out.Float32(), x.Float32())
		return []*tensor.Tensor{out}, nil
	}
	if !k.supports(x.DType()) {
		return nil, fmt.Errorf("%s does not support %v", k.name, x.DType())
	}
	if x.DType().IsFloat() {
		return one(mapFloat(ctx, x, k.f))
	}
	out := ctx.Alloc(x.DType(), x.Shape()...)
	switch x.DType() {
	case tensor.Int8:
		intUnary[int8](k.iop, out, x)
	case tensor.Uint8:
		intUnary[uint8](k.iop, out, x)
	case tensor.Int16:
		intUnary[int16](k.iop, out, x)
	case tensor.Uint16:
		intUnary[uint16](k.iop, out, x)
	case tensor.Int32:
		intUnary[int32](k.iop, out, x)
	case tensor.Uint32:
		intUnary[uint32](k.iop, out, x)
	case tensor.Int64:
		intUnary[int64](k.iop, out, x)
	case tensor.Uint64:
		intUnary[uint64](k.iop, out, x)
	}
	return []*tensor.Tensor{out}, nil
}

// parallelGrain is the smallest chunk of elements worth a goroutine for
// elementwise math.
const parallelGrain = 1 << 14

// mapFloat applies f (in float64) to every element of a float32 or float64
// tensor, into a buffer from ctx.
func mapFloat(ctx *graph.Ctx, x *tensor.Tensor, f func(float64) float64) (*tensor.Tensor, error) {
	out := ctx.Alloc(x.DType(), x.Shape()...)
	switch x.DType() {
	case tensor.Float32:
		o, v := out.Float32(), x.Float32()
		kernels.Parallel(len(v), parallelGrain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				o[i] = float32(f(float64(v[i])))
			}
		})
	case tensor.Float64:
		o, v := tensor.Data[float64](out), tensor.Data[float64](x)
		for i, e := range v {
			o[i] = f(e)
		}
	default:
		return nil, fmt.Errorf("input is %v; this op supports float32 and float64", x.DType())
	}
	return out, nil
}

func intUnary[T tensor.Number](op intOp, out, x *tensor.Tensor) {
	o, v := tensor.Data[T](out), tensor.Data[T](x)
	switch op {
	case intNeg:
		for i, e := range v {
			o[i] = -e
		}
	case intAbs:
		for i, e := range v {
			if e < 0 {
				e = -e
			}
			o[i] = e
		}
	case intRelu:
		for i, e := range v {
			o[i] = max(e, 0)
		}
	}
}

// identityKernel is Identity: the output is the input tensor itself.
type identityKernel struct{}

func (identityKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	return sameInfo(in)
}

func (identityKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{in[0]}, nil
}
