package quant_test

import (
	"testing"

	"t2c/graph"
	"t2c/internal/npytest"
	"t2c/quant"
	"t2c/tensor"
)

// minmax_channel against PyTorch's PerChannelMinMaxObserver (qint8,
// per-channel symmetric) and torch.fake_quantize_per_channel_affine.
func TestMinMaxChannelMatchesPyTorch(t *testing.T) {
	w := npytest.Float32(t, "../testdata/quant/minmax_channel.w.npy")
	g := graph.New("conv", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 4, 5, 5}}}
	g.Params["conv.weight"] = w
	g.Nodes = []*graph.Node{{Name: "conv", Op: "Conv", Inputs: []string{"x", "conv.weight"}, Outputs: []string{"y"}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32}}
	if _, err := quant.Insert(g, quant.Options{WAlgo: "minmax_channel"}); err != nil {
		t.Fatal(err)
	}
	sites, _ := quant.Sites(g)
	var wq *quant.Site
	for _, s := range sites {
		if s.Role() == quant.Weight {
			wq = s
		}
	}
	p, err := wq.QParams(nil)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "scale", p.Scale, npytest.Float32(t, "../testdata/quant/minmax_channel.scale.npy").Float32(), 0)
	for i, z := range npytest.Int64(t, "../testdata/quant/minmax_channel.zero_point.npy") {
		if int64(p.ZeroPoint[i]) != z {
			t.Fatalf("zero point %v, PyTorch %d", p.ZeroPoint, z)
		}
	}
	st, _ := wq.State()
	fq, _, err := wq.Quantizer.Forward(nil, w, st, false)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "fake-quant", fq.Float32(), npytest.Float32(t, "../testdata/quant/minmax_channel.fq.npy").Float32(), 0)
}

// minmax (unsigned) against PyTorch's MinMaxObserver (quint8, per-tensor
// affine) and torch.fake_quantize_per_tensor_affine.
func TestMinMaxTensorMatchesPyTorch(t *testing.T) {
	x := npytest.Float32(t, "../testdata/quant/minmax_tensor.x.npy")
	g, site := single(t, "minmax", u8, nil, []int{-1, 16}, nil)
	if err := quant.Calibrate(g, x); err != nil {
		t.Fatal(err)
	}
	p, _ := site.QParams(nil)
	near(t, "scale", p.Scale, npytest.Float32(t, "../testdata/quant/minmax_tensor.scale.npy").Float32(), 0)
	if z := npytest.Int64(t, "../testdata/quant/minmax_tensor.zero_point.npy")[0]; int64(p.ZeroPoint[0]) != z {
		t.Fatalf("zero point %d, PyTorch %d", p.ZeroPoint[0], z)
	}
	near(t, "fake-quant", run1(t, g, x).Float32(), npytest.Float32(t, "../testdata/quant/minmax_tensor.fq.npy").Float32(), 0)
}

// Quantile against torch.quantile (linear interpolation).
func TestQuantileMatchesPyTorch(t *testing.T) {
	x := npytest.Float32(t, "../testdata/quant/percentile.x.npy")
	g, site := single(t, "percentile", s8, map[string]graph.Attr{"percentile": graph.FloatAttr(99.99)}, []int{-1}, nil)
	if err := quant.Calibrate(g, x); err != nil {
		t.Fatal(err)
	}
	q := npytest.Float32(t, "../testdata/quant/percentile.q.npy").Float32()
	lo, hi := site.Param("lo"), site.Param("hi")
	near(t, "percentiles", []float32{g.Params[lo].Float32()[0], g.Params[hi].Float32()[0]}, q, 1e-6)
	p, _ := site.QParams(nil)
	want, _ := quant.AffineFromRange(s8, q[0], q[1])
	near(t, "scale", p.Scale, []float32{want}, 1e-6)
}
