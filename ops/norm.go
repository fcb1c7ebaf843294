package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() {
	graph.Register("BatchNormalization", buildBatchNorm)
	graph.Register("LayerNormalization", buildLayerNorm)
}

type batchNorm struct {
	eps, momentum float32
	training      bool
	nout          int // outputs the node declares
}

func buildBatchNorm(n *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	k := batchNorm{eps: a.Float("epsilon", 1e-5), momentum: a.Float("momentum", 0.9), nout: len(n.Outputs)}
	k.training = a.Int("training_mode", 0) != 0
	if a.Has("spatial") && a.Int("spatial", 1) != 1 {
		a.Fail("spatial", "only spatial=1 (per-channel statistics) is supported")
	}
	if opset < 14 && len(n.Outputs) > 1 && n.Outputs[1] != "" {
		// Before opset 14 extra outputs meant training mode.
		k.training = true
	}
	return k, nil
}

// savedAt is where Run puts the batch mean and variance it used, after
// the node's outputs, for Backward (graph executors ignore results past a
// node's outputs; the autodiff tape hands them back to Backward).
func (k batchNorm) savedAt() int {
	if k.training {
		return max(3, k.nout)
	}
	return max(1, k.nout)
}

func (k batchNorm) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	c := graph.ValueInfo{DType: in[0].DType, Shape: []int{in[0].Shape[1]}}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: in[0].Shape}, c, c}, nil
}

// Run normalises per channel (axis 1). In inference mode it uses the running
// statistics; in training mode the batch statistics, and it also returns the
// updated running mean and variance (ONNX: population variance).
func (k batchNorm) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return k.run(ctx, in, false)
}

// run is Run, followed by ReLU when relu is set (bnRelu).
func (k batchNorm) run(ctx *graph.Ctx, in []*tensor.Tensor, relu bool) ([]*tensor.Tensor, error) {
	if err := need(in, 5); err != nil {
		return nil, err
	}
	if err := float32Only(in, 0, 1, 2, 3, 4); err != nil {
		return nil, err
	}
	x := in[0]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input %v needs a channel axis", x.Shape())
	}
	c := x.Dim(1)
	for i, name := range []string{"scale", "B", "mean", "var"} {
		if in[i+1].Len() != c {
			return nil, fmt.Errorf("%s has %d elements for %d channels", name, in[i+1].Len(), c)
		}
	}
	n, hw := x.Dim(0), tensor.NumElems(x.Shape()[2:])
	mean, variance := in[3].Float32(), in[4].Float32()
	var outs []*tensor.Tensor
	var batch *tensor.Tensor // batch mean and variance, c each
	if k.training || (ctx != nil && ctx.Training) {
		batch = tensor.Zeros(tensor.Float32, 2, c)
		bm, bv := batch.Float32()[:c], batch.Float32()[c:]
		kernels.BatchNormStats(x.Float32(), n, c, hw, bm, bv)
		if k.training { // ONNX training mode: new statistics are outputs
			runMean, runVar := tensor.Zeros(tensor.Float32, c), tensor.Zeros(tensor.Float32, c)
			for i := range c {
				runMean.Float32()[i] = mean[i]*k.momentum + bm[i]*(1-k.momentum)
				runVar.Float32()[i] = variance[i]*k.momentum + bv[i]*(1-k.momentum)
			}
			outs = []*tensor.Tensor{nil, runMean, runVar}
		} else { // training in t2c: update in place like PyTorch
			k.updateRunning(in[3].Float32(), in[4].Float32(), bm, bv, n*hw)
		}
		mean, variance = bm, bv
	}
	y := ctx.Alloc(tensor.Float32, x.Shape()...)
	scale, bias := in[1].Float32(), in[2].Float32()
	m, b := make([]float32, c), make([]float32, c)
	for ch := range c {
		m[ch] = scale[ch] / float32(math.Sqrt(float64(variance[ch]+k.eps)))
		b[ch] = bias[ch] - mean[ch]*m[ch]
	}
	kernels.BatchNormAffine(y.Float32(), x.Float32(), n, c, hw, m, b, relu)
	if outs == nil {
		outs = []*tensor.Tensor{y}
	}
	outs[0] = y
	if batch != nil {
		for len(outs) < k.savedAt() {
			outs = append(outs, nil)
		}
		outs = append(outs, batch)
	}
	return outs, nil
}

// updateRunning folds batch statistics into the running ones with
// PyTorch's convention: momentum 1−m for the new value (ONNX momentum m =
// 0.9 is PyTorch's 0.1) and the unbiased variance.
func (k batchNorm) updateRunning(runMean, runVar, mean, variance []float32, count int) {
	m := 1 - k.momentum
	unbias := float32(count) / float32(max(count-1, 1))
	for i := range runMean {
		runMean[i] = (1-m)*runMean[i] + m*mean[i]
		runVar[i] = (1-m)*runVar[i] + m*variance[i]*unbias
	}
}

type layerNorm struct {
	axis int
	eps  float32
}

func buildLayerNorm(n *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	k := layerNorm{axis: int(a.Int("axis", -1)), eps: a.Float("epsilon", 1e-5)}
	if st := a.Int("stash_type", 1); st != 1 {
		a.Fail("stash_type", "only 1 (float32 statistics) is supported, got %d", st)
	}
	return k, nil
}

func (k layerNorm) statsShape(x []int) ([]int, int, error) {
	axis, err := normAxis(k.axis, len(x))
	if err != nil {
		return nil, 0, err
	}
	s := append([]int(nil), x...)
	for i := axis; i < len(s); i++ {
		s[i] = 1
	}
	return s, axis, nil
}

func (k layerNorm) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	s, _, err := k.statsShape(in[0].Shape)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: in[0].Shape}, {DType: tensor.Float32, Shape: s}, {DType: tensor.Float32, Shape: s}}, nil
}

// Run normalises over the axes from axis to the end, then applies the
// (broadcast) scale and bias.
func (k layerNorm) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := float32Only(in, 0, 1, 2); err != nil {
		return nil, err
	}
	x := in[0]
	statShape, axis, err := k.statsShape(x.Shape())
	if err != nil {
		return nil, err
	}
	rows, d := tensor.NumElems(x.Shape()[:axis]), tensor.NumElems(x.Shape()[axis:])
	norm := x.Shape()[axis:]
	scale, err := broadcastParam(in[1], norm, "Scale")
	if err != nil {
		return nil, err
	}
	var bias []float32
	if b := opt(in, 2); b != nil {
		if bias, err = broadcastParam(b, norm, "B"); err != nil {
			return nil, err
		}
	}
	y := ctx.Alloc(tensor.Float32, x.Shape()...)
	mean, inv := tensor.Zeros(tensor.Float32, statShape...), tensor.Zeros(tensor.Float32, statShape...)
	xs, ys := x.Float32(), y.Float32()
	kernels.Parallel(rows, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			src, dst := xs[r*d:(r+1)*d], ys[r*d:(r+1)*d]
			var s float32
			for _, v := range src {
				s += v
			}
			mu := s / float32(d)
			var sq float32
			for _, v := range src {
				sq += (v - mu) * (v - mu)
			}
			is := 1 / float32(math.Sqrt(float64(sq/float32(d)+k.eps)))
			for j, v := range src {
				dst[j] = (v - mu) * is * scale[j]
				if bias != nil {
					dst[j] += bias[j]
				}
			}
			mean.Float32()[r], inv.Float32()[r] = mu, is
		}
	})
	return []*tensor.Tensor{y, mean, inv}, nil
}

// broadcastParam expands a LayerNorm scale/bias to the normalised shape.
func broadcastParam(p *tensor.Tensor, shape []int, name string) ([]float32, error) {
	if tensor.SameShape(p.Shape(), shape) {
		return p.Float32(), nil
	}
	full, err := tensor.BroadcastShapes(p.Shape(), shape)
	if err != nil || !tensor.SameShape(full, shape) {
		return nil, fmt.Errorf("%s %v does not broadcast to normalised shape %v", name, p.Shape(), shape)
	}
	return tensor.BroadcastTo(p, shape).Float32(), nil
}
