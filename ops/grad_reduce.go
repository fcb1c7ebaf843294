package ops

import (
	"t2c/graph"
	"t2c/tensor"
)

// Backward implements autodiff.Differentiable for Softmax:
// dx = y·(dy − Σ dy·y) along the softmax axis.
func (k softmaxKernel) Backward(_ *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := float32Only(in, 0); err != nil {
		return nil, err
	}
	outer, dim, inner, err := k.layout(in[0].Shape())
	if err != nil {
		return nil, err
	}
	y, dy := out[0].Float32(), dOut[0].Float32()
	dx := tensor.Zeros(tensor.Float32, in[0].Shape()...)
	d := dx.Float32()
	for b := 0; b < outer; b++ {
		for i := 0; i < inner; i++ {
			base := b*dim*inner + i
			var dot float64
			for j := 0; j < dim; j++ {
				p := base + j*inner
				dot += float64(dy[p]) * float64(y[p])
			}
			for j := 0; j < dim; j++ {
				p := base + j*inner
				d[p] = y[p] * (dy[p] - float32(dot))
			}
		}
	}
	return []*tensor.Tensor{dx}, nil
}

// Backward implements autodiff.Differentiable for ReduceSum, ReduceMean
// (the gradient spread over the reduced elements) and ReduceMax (shared
// equally by the elements that attain the maximum).
func (k *reduceKernel) Backward(_ *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := float32Only(in, 0); err != nil {
		return nil, err
	}
	x := in[0]
	axes, identity, err := k.resolve(opt(in, 1), x.Rank())
	if err != nil {
		return nil, err
	}
	if identity {
		return []*tensor.Tensor{dOut[0], nil}, nil
	}
	kept := tensor.ReducedShape(x.Shape(), axes, true)
	dy := tensor.BroadcastTo(dOut[0].MustReshape(kept...), x.Shape()).Float32()
	dx := tensor.Zeros(tensor.Float32, x.Shape()...)
	d := dx.Float32()
	switch k.kind {
	case redSum:
		copy(d, dy)
	case redMean:
		count := float32(x.Len() / max(1, tensor.NumElems(kept)))
		for i, g := range dy {
			d[i] = g / count
		}
	case redMax:
		y := tensor.BroadcastTo(out[0].MustReshape(kept...), x.Shape()).Float32()
		hits := make([]bool, len(d))
		for i, v := range x.Float32() {
			hits[i] = v == y[i]
		}
		counts := tensor.SumTo(tensor.New(x.Shape(), boolsToFloat(hits)), kept)
		c := tensor.BroadcastTo(counts, x.Shape()).Float32()
		for i, g := range dy {
			if hits[i] {
				d[i] = g / c[i]
			}
		}
	}
	return []*tensor.Tensor{dx, nil}, nil
}

func boolsToFloat(b []bool) []float32 {
	f := make([]float32, len(b))
	for i, v := range b {
		if v {
			f[i] = 1
		}
	}
	return f
}
