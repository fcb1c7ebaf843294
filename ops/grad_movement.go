package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// Ops that only move elements (reshape, transpose, slice, gather, expand,
// tile, pad, concat, split) share one gradient: run the op on tensors of
// element indices instead of data, so every output element names the input
// element it came from (or -1 for padding), then scatter-add the output
// gradient back through those indices. The gradient is then right by
// construction for every attribute combination the forward op supports.

// movementGrad differentiates k with respect to its data inputs (indices
// listed in data); consts replaces other inputs for the index run (e.g. a
// pad value of -1).
func movementGrad(k graph.Kernel, in []*tensor.Tensor, data []int, dOut []*tensor.Tensor, consts map[int]*tensor.Tensor) ([]*tensor.Tensor, error) {
	args := append([]*tensor.Tensor(nil), in...)
	offsets := make([]int, len(data)+1)
	for j, i := range data {
		args[i] = iotaLike(in[i], offsets[j])
		offsets[j+1] = offsets[j] + in[i].Len()
	}
	for i, c := range consts {
		for len(args) <= i {
			args = append(args, nil)
		}
		args[i] = c
	}
	routes, err := k.Run(nil, args)
	if err != nil {
		return nil, fmt.Errorf("gradient routing: %w", err)
	}
	grads := make([]*tensor.Tensor, len(in))
	flat := make([]float32, offsets[len(data)])
	for o, d := range dOut {
		if d == nil {
			continue
		}
		for e, src := range routes[o].Int64() {
			if src >= 0 {
				flat[src] += d.Float32()[e]
			}
		}
	}
	for j, i := range data {
		grads[i] = tensor.New(in[i].Shape(), flat[offsets[j]:offsets[j+1]])
	}
	return grads, nil
}

// iotaLike returns an int64 tensor shaped like t holding offset, offset+1, ...
func iotaLike(t *tensor.Tensor, offset int) *tensor.Tensor {
	idx := make([]int64, t.Len())
	for i := range idx {
		idx[i] = int64(offset + i)
	}
	return tensor.New(t.Shape(), idx)
}

func dataInput0(k graph.Kernel, in, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return movementGrad(k, in, []int{0}, dOut, nil)
}

// Backward implements autodiff.Differentiable.
func (k reshapeKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return viewGrad(in[0], dOut[0])
}

// Backward implements autodiff.Differentiable.
func (k flattenKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return viewGrad(in[0], dOut[0])
}

// Backward implements autodiff.Differentiable.
func (k squeezeKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return viewGrad(in[0], dOut[0])
}

// Backward implements autodiff.Differentiable.
func (k unsqueezeKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return viewGrad(in[0], dOut[0])
}

// Backward implements autodiff.Differentiable.
func (identityKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return viewGrad(in[0], dOut[0])
}

// viewGrad is the gradient of ops that only change the shape: the output
// gradient reshaped to the input.
func viewGrad(x, dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	d, err := dy.Reshape(x.Shape()...)
	return []*tensor.Tensor{d}, err
}

// Backward implements autodiff.Differentiable: the inverse permutation
// (a direct transpose is much cheaper than routing indices).
func (k transposeKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	r := in[0].Rank()
	inv := make([]int, r)
	for i := range inv {
		inv[i] = r - 1 - i // ONNX default: reversed axes, its own inverse
	}
	for i, p := range k.perm {
		inv[p] = i
	}
	dx, err := tensor.Transpose(dOut[0], inv)
	return []*tensor.Tensor{dx}, err
}

// Backward implements autodiff.Differentiable.
func (k sliceKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return dataInput0(k, in, dOut)
}

// Backward implements autodiff.Differentiable.
// Float32 data takes a direct scatter-add along the axis (the ViT's q/k/v
// split and class-token pooling); other types route indices.
func (k gatherKernel) Backward(ctx *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, idx := in[0], in[1]
	ax, err := normAxis(k.axis, x.Rank())
	if err != nil || x.DType() != tensor.Float32 || !idx.DType().IsInteger() {
		return dataInput0(k, in, dOut)
	}
	dim := x.Shape()[ax]
	outer, inner := tensor.NumElems(x.Shape()[:ax]), tensor.NumElems(x.Shape()[ax+1:])
	ix := ints(idx)
	dx := ctx.Zeros(tensor.Float32, x.Shape()...)
	d, dy := dx.Float32(), dOut[0].Float32()
	for o := 0; o < outer; o++ {
		for j, v := range ix {
			if v < 0 {
				v += dim
			}
			dst := d[(o*dim+v)*inner : (o*dim+v+1)*inner]
			src := dy[(o*len(ix)+j)*inner : (o*len(ix)+j+1)*inner]
			for e, g := range src {
				dst[e] += g
			}
		}
	}
	return []*tensor.Tensor{dx, nil}, nil
}

// Backward implements autodiff.Differentiable: the sum over broadcast axes.
func (k expandKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return []*tensor.Tensor{tensor.SumTo(dOut[0], in[0].Shape()), nil}, nil
}

// Backward implements autodiff.Differentiable.
func (k tileKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return dataInput0(k, in, dOut)
}

// Backward implements autodiff.Differentiable; padded elements take no
// gradient (the pad value is replaced by the route -1).
func (k padKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if k.attrs { // opset < 11: the value is an attribute
		k.value = -1
		return movementGrad(k, in, []int{0}, dOut, nil)
	}
	grads, err := movementGrad(k, in, []int{0}, dOut, map[int]*tensor.Tensor{2: tensor.Scalar(int64(-1))})
	if err != nil || len(in) < 3 || in[2] == nil || k.mode != "constant" {
		return grads, err
	}
	// Every output element is either routed to x or is the pad value.
	var total, routed float32
	for _, g := range dOut[0].Float32() {
		total += g
	}
	for _, g := range grads[0].Float32() {
		routed += g
	}
	grads[2] = tensor.New(in[2].Shape(), []float32{total - routed})
	return grads, nil
}

// Backward implements autodiff.Differentiable.
func (k concatKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	data := make([]int, len(in))
	for i := range data {
		data[i] = i
	}
	return movementGrad(k, in, data, dOut, nil)
}

// Backward implements autodiff.Differentiable.
func (k splitKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return dataInput0(k, in, dOut)
}
