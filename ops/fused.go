package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// Fused ReLU. When a BatchNormalization or Add output is read only by a
// Relu, the autodiff compiler asks the kernel to absorb the ReLU (FuseRelu,
// autodiff.ReluFuser): the pair then makes one pass over the tensor forward
// instead of two, batch norm's backward applies ReLU's mask while it reads
// the output gradient, and the intermediate tensor is never stored. The
// gradients are those of the two ops in sequence.

// FuseRelu returns BatchNormalization followed by ReLU as one kernel, or
// nil in ONNX training mode (whose running-statistics outputs would have
// to stay).
func (k batchNorm) FuseRelu() graph.Kernel {
	if k.training {
		return nil
	}
	k.nout = 1 // the fused kernel's outputs are the Relu's
	return bnRelu{k}
}

// bnRelu is ReLU(BatchNormalization(x, …)).
type bnRelu struct{ bn batchNorm }

// Run implements graph.Kernel.
func (k bnRelu) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return k.bn.run(ctx, in, true)
}

// Backward implements autodiff.Differentiable: batch norm's gradient of
// dY masked by ReLU's output (positive where ReLU passed its input).
func (k bnRelu) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return k.bn.backward(ctx, in, out, dOut, out[0].Float32())
}

// FuseRelu returns Add followed by ReLU as one kernel (nil for the other
// arithmetic ops).
func (k arithKernel) FuseRelu() graph.Kernel {
	if k.op != opAdd || k.variadic {
		return nil
	}
	return addRelu{}
}

// addRelu is ReLU(A + B) (float32, with broadcasting).
type addRelu struct{}

// Run implements graph.Kernel.
func (addRelu) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := float32Only(in, 0, 1); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if tensor.SameShape(a.Shape(), b.Shape()) {
		y := ctx.Alloc(tensor.Float32, a.Shape()...)
		kernels.AddF32(y.Float32(), a.Float32(), b.Float32(), true)
		return []*tensor.Tensor{y}, nil
	}
	y, err := arith(ctx, opAdd, a, b)
	if err != nil {
		return nil, fmt.Errorf("Add: %w", err)
	}
	kernels.ReluF32(y.Float32(), y.Float32())
	return []*tensor.Tensor{y}, nil
}

// Backward implements autodiff.Differentiable: dY where the output is
// positive, summed back to each input's shape.
func (addRelu) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	d := ctx.Alloc(tensor.Float32, out[0].Shape()...)
	kernels.ReluGradF32(d.Float32(), dOut[0].Float32(), out[0].Float32())
	return []*tensor.Tensor{tensor.SumTo(d, in[0].Shape()), tensor.SumTo(d, in[1].Shape())}, nil
}
