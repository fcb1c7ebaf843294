package ops

import (
	"t2c/graph"
	"t2c/tensor"
)

// Backward implements autodiff.Differentiable for MaxPool (the gradient goes
// to the element the forward pass picked, via its Indices output) and
// AveragePool (spread evenly over each window's counted elements).
func (k *poolKernel) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	g, err := k.geometry(in[0].Shape())
	if err != nil {
		return nil, err
	}
	dx := tensor.Zeros(tensor.Float32, in[0].Shape()...)
	d, dy := dx.Float32(), dOut[0].Float32()
	if k.max {
		idx := out[len(out)-1]
		if len(out) < 2 { // the fast inference kernel keeps no argmax: recompute it
			idx = tensor.Zeros(tensor.Int64, out[0].Shape()...)
			maxPool(g, in[0].Float32(), make([]float32, out[0].Len()), idx.Int64())
		}
		for i, at := range idx.Int64() {
			d[at] += dy[i]
		}
		return []*tensor.Tensor{dx}, nil
	}
	for nc := 0; nc < g.n*g.c; nc++ {
		dxc := d[nc*g.h*g.w : (nc+1)*g.h*g.w]
		dyc := dy[nc*g.oh*g.ow : (nc+1)*g.oh*g.ow]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				k.spreadWindow(g, i, j, dyc[i*g.ow+j], dxc)
			}
		}
	}
	return []*tensor.Tensor{dx}, nil
}

// spreadWindow adds v/count to every input element of output (i, j)'s
// window, with count as in the forward pass.
func (k *poolKernel) spreadWindow(g geometry, i, j int, v float32, dx []float32) {
	count, padded := 0, 0
	for r := 0; r < g.k[0]; r++ {
		ih := i*g.st[0] - g.pb[0] + r*g.dil[0]
		for s := 0; s < g.k[1]; s++ {
			iw := j*g.st[1] - g.pb[1] + s*g.dil[1]
			switch {
			case ih >= 0 && ih < g.h && iw >= 0 && iw < g.w:
				count++
			case ih < g.h+g.pe[0] && iw < g.w+g.pe[1]:
				padded++
			}
		}
	}
	if k.includePad {
		count += padded
	}
	share := v / float32(count)
	for r := 0; r < g.k[0]; r++ {
		ih := i*g.st[0] - g.pb[0] + r*g.dil[0]
		for s := 0; s < g.k[1]; s++ {
			iw := j*g.st[1] - g.pb[1] + s*g.dil[1]
			if ih >= 0 && ih < g.h && iw >= 0 && iw < g.w {
				dx[ih*g.w+iw] += share
			}
		}
	}
}

// Backward implements autodiff.Differentiable for the global pools.
func (p globalPool) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	dx := tensor.Zeros(tensor.Float32, in[0].Shape()...)
	hw := tensor.NumElems(in[0].Shape()[2:])
	x, y, d := in[0].Float32(), out[0].Float32(), dx.Float32()
	for i, g := range dOut[0].Float32() {
		plane := d[i*hw : (i+1)*hw]
		if p.avg {
			for j := range plane {
				plane[j] = g / float32(hw)
			}
			continue
		}
		for j, v := range x[i*hw : (i+1)*hw] {
			if v == y[i] {
				plane[j] = g
				break
			}
		}
	}
	return []*tensor.Tensor{dx}, nil
}
