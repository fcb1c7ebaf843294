package fuse

import (
	"testing"

	"t2c/data"
	"t2c/eval"
	"t2c/graph"
	"t2c/onnx"
	"t2c/quant"
	"t2c/tensor"
)

// fashionImages returns n embedded Fashion-MNIST test images, normalised,
// in batches of batch.
func fashionImages(t testing.TB, from, n, batch int) []*tensor.Tensor {
	t.Helper()
	ds, preset, err := data.Open("fashion-mnist", "test")
	if err != nil {
		t.Fatal(err)
	}
	norm := preset.Normalize()
	var out []*tensor.Tensor
	for lo := from; lo < from+n; lo += batch {
		hi := min(from+n, lo+batch)
		x := tensor.Zeros(tensor.Float32, hi-lo, 1, 28, 28)
		for i := lo; i < hi; i++ {
			img := x.Float32()[(i-lo)*784 : (i-lo+1)*784]
			ds.Image(i, img)
			res, _, _, _ := norm.Apply(img, 1, 28, 28, nil)
			copy(img, res)
		}
		out = append(out, x)
	}
	return out
}

// quantized loads an ONNX model, inserts quantizers and calibrates them on
// calib; the quantizers are left in quantize mode.
func quantized(t testing.TB, path string, o quant.Options, calib []*tensor.Tensor) *graph.Graph {
	t.Helper()
	g, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Insert(g, o); err != nil {
		t.Fatal(err)
	}
	if err := quant.Calibrate(g, calib...); err != nil {
		t.Fatal(err)
	}
	if err := quant.SetMode(g, quant.ModeQuantize); err != nil {
		t.Fatal(err)
	}
	return g
}

// observedRanges runs g on xs and returns max |x| of every float value.
func observedRanges(t testing.TB, g *graph.Graph, xs []*tensor.Tensor) map[string]float64 {
	t.Helper()
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	r := map[string]float64{}
	for _, x := range xs {
		prog, err := sess.Program(map[string][]int{g.Inputs[0].Name: x.Shape()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := prog.RunObserved(map[string]*tensor.Tensor{g.Inputs[0].Name: x}, func(_ *graph.Node, name string, v *tensor.Tensor) {
			if v.DType() == tensor.Float32 {
				for _, f := range v.Float32() {
					r[name] = max(r[name], float64(abs32(f)))
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// agreement runs the fake-quant graph and the integer model on xs and
// returns the fraction of equal argmax predictions and the largest logit
// difference.
func agreement(t testing.TB, g *graph.Graph, m *Model, xs []*tensor.Tensor) (float64, float64) {
	t.Helper()
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	same, total, maxDiff := 0, 0, 0.0
	for _, x := range xs {
		want, err := sess.Run1(x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Run1(x)
		if err != nil {
			t.Fatal(err)
		}
		c := want.Dim(1)
		w, g := want.Float32(), got.Float32()
		for i := 0; i < want.Dim(0); i++ {
			if eval.Argmax(w[i*c:(i+1)*c]) == eval.Argmax(g[i*c:(i+1)*c]) {
				same++
			}
			total++
		}
		for i := range w {
			maxDiff = max(maxDiff, float64(abs32(w[i]-g[i])))
		}
	}
	return float64(same) / float64(total), maxDiff
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
