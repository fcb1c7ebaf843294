package quant_test

import (
	"testing"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

// maskedConv builds y = Conv(x, Mul(conv.weight, conv.weight_mask)) the
// way package prune masks a weight, with about half the mask zero and the
// weight non-zero everywhere (so only the mask can make zeros).
func maskedConv(t *testing.T) *graph.Graph {
	t.Helper()
	g := graph.New("masked", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 4, 5, 5}}}
	w := randn(21, 0.5, 6, 4, 3, 3)
	mask := tensor.Zeros(tensor.Float32, w.Shape()...)
	for i := range mask.Float32() {
		mask.Float32()[i] = float32((i * 7 / 3) % 2)
	}
	g.Params["conv.weight"], g.Params["conv.weight_mask"] = w, mask
	g.Nodes = []*graph.Node{
		{Name: "conv.weight_mask.apply", Op: "Mul", Inputs: []string{"conv.weight", "conv.weight_mask"}, Outputs: []string{"conv.weight_mask.apply"}},
		{Name: "conv", Op: "Conv", Inputs: []string{"x", "conv.weight_mask.apply"}, Outputs: []string{"y"}},
	}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32}, {Name: "conv.weight_mask.apply", DType: tensor.Float32}}
	return g
}

func TestInsertQuantizesMaskedWeightBeforeTheMask(t *testing.T) {
	for _, algo := range []string{"minmax_channel", "adaround", "lsq"} {
		g := maskedConv(t)
		rep, err := quant.Insert(g, quant.Options{WBits: 4, ABits: 8, WAlgo: algo})
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		l := rep.Layers[0]
		if l.Layer != "conv" || len(l.Quantizers) != 2 || l.Quantizers[1].Value != "conv.weight" || l.Quantizers[1].Input != 1 {
			t.Fatalf("%s: report %+v", algo, l)
		}
		prod := g.Producers()
		mul := prod["conv.weight_mask.apply"]
		fq := prod[mul.Inputs[0]]
		if fq == nil || fq.Op != quant.OpType || fq.Inputs[0] != "conv.weight" || mul.Inputs[1] != "conv.weight_mask" {
			t.Fatalf("%s: the weight quantizer is not between the weight and its mask: %v", algo, g.Nodes)
		}
		if conv := g.Find("Conv")[0]; conv.Inputs[1] != "conv.weight_mask.apply" {
			t.Fatalf("%s: conv reads %q", algo, conv.Inputs[1])
		}
		sites, err := quant.Sites(g)
		if err != nil {
			t.Fatal(err)
		}
		var wsite *quant.Site
		for _, s := range sites {
			if s.Role() == quant.Weight {
				wsite = s
			}
		}
		if algo == "adaround" { // learned rounding that rounds every weight up
			for i := range g.Params[wsite.Param("alpha")].Float32() {
				g.Params[wsite.Param("alpha")].Float32()[i] = 8
			}
		}
		q, p, err := wsite.Integer(nil)
		if err != nil {
			t.Fatal(err)
		}
		deq, err := p.Dequantize(q)
		if err != nil {
			t.Fatal(err)
		}
		mask := g.Params["conv.weight_mask"].Float32()
		unmaskedNonZero := 0
		for i, v := range q.Int64s() {
			if mask[i] == 0 && v != 0 {
				unmaskedNonZero++
			}
		}
		if unmaskedNonZero == 0 {
			t.Fatalf("%s: the test weight quantizes to zero at masked positions by itself", algo)
		}
		for _, mode := range []quant.Mode{quant.ModeQuantize, quant.ModeTrain} {
			if err := quant.SetMode(g, mode); err != nil {
				t.Fatal(err)
			}
			sess, err := graph.NewSession(g)
			if err != nil {
				t.Fatal(err)
			}
			out, err := sess.Run(map[string]*tensor.Tensor{"x": randn(3, 1, 2, 4, 5, 5)})
			if err != nil {
				t.Fatal(err)
			}
			eff := out["conv.weight_mask.apply"].Float32()
			for i, v := range eff {
				switch {
				case mask[i] == 0 && v != 0:
					t.Fatalf("%s %s: masked weight %d is %v after quantization", algo, mode, i, v)
				case mask[i] == 1 && mode == quant.ModeQuantize && v != deq.Float32()[i]:
					t.Fatalf("%s: kept weight %d is %v, the integer path gives %v", algo, i, v, deq.Float32()[i])
				}
			}
		}
		if _, err := quant.Insert(g, quant.Options{}); err == nil {
			t.Fatalf("%s: a second Insert on the masked graph succeeded", algo)
		}
	}
}
