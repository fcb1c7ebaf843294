package fuse

import (
	"math"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/integer"
	"t2c/quant"
	"t2c/tensor"
)

const fashionCNN = "../testdata/pytorch/fashion/cnn.onnx"

// TestFashionCNNMatchesFakeQuant converts a CNN trained by PyTorch at W8A8
// and W4A4 and checks the integer model against the fake-quant model on
// real images: same predictions, logits within a few output steps, and
// every quantized activation equal to the fake-quant integers except for
// rare rounding ties.
func TestFashionCNNMatchesFakeQuant(t *testing.T) {
	calib := fashionImages(t, 0, 256, 64)
	test := fashionImages(t, 256, 512, 128)
	for _, tc := range []struct {
		name     string
		o        quant.Options
		format   integer.Format
		maxFlips float64 // fraction of activation codes allowed to differ
	}{
		{"W8A8/dyadic", quant.Options{WBits: 8, ABits: 8}, integer.Format{Kind: integer.FormatDyadic}, 0.001},
		// Torch2Chip's fixed(32,26): the average pool's multiplier
		// s_in/(49·s_out) keeps few significant bits whatever the wide
		// grid, so about 0.5 % of the classifier's input codes land one
		// step off (docs/INTEGER.md §3); predictions still agree.
		{"W8A8/fixed32.26", quant.Options{WBits: 8, ABits: 8}, integer.DefaultFormat(), 0.01},
		{"W4A4/dyadic", quant.Options{WBits: 4, ABits: 4, FirstLast8Bit: true}, integer.Format{Kind: integer.FormatDyadic}, 0.001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := quantized(t, fashionCNN, tc.o, calib)
			m, err := NewModel(g, Options{Format: tc.format, Ranges: observedRanges(t, g, calib)})
			if err != nil {
				t.Fatal(err)
			}
			agree, maxDiff := agreement(t, g, m, test)
			t.Logf("agreement %.4f, max |logit diff| %.3g", agree, maxDiff)
			if agree < 0.998 {
				t.Errorf("top-1 agreement %.4f < 0.998", agree)
			}
			checkActivations(t, g, m, test[0], tc.maxFlips)
		})
	}
}

// checkActivations compares every quantized activation of the integer
// graph with the fake-quant model's integers on x: equal for all but a
// fraction maxFlips of elements. (The fake-quant model computes in float32, so values within
// float32 rounding of a rounding boundary can land one code apart, and
// such a difference can grow by a few codes through later layers.)
func checkActivations(t *testing.T, g *graph.Graph, m *Model, x *tensor.Tensor, maxFlips float64) {
	t.Helper()
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := sess.Program(map[string][]int{g.Inputs[0].Name: x.Shape()})
	if err != nil {
		t.Fatal(err)
	}
	fq := map[string]*tensor.Tensor{}
	if _, err := prog.RunObserved(map[string]*tensor.Tensor{g.Inputs[0].Name: x}, func(n *graph.Node, name string, v *tensor.Tensor) {
		if n.Op == quant.OpType && v.DType() == tensor.Float32 {
			fq[name] = v.Clone()
		}
	}); err != nil {
		t.Fatal(err)
	}
	ints := map[string]*tensor.Tensor{}
	_, res, err := m.RunInt(x, func(_ *graph.Node, name string, v *tensor.Tensor) { ints[name] = tensor.Cast(v, tensor.Int64).Clone() })
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for name, want := range fq {
		ref, ok := res.Values[name]
		if !ok || ints[ref.Name] == nil {
			continue
		}
		q := ints[ref.Name].Int64s()
		s, z := ref.Grid.Scale[0], ref.Grid.ZeroPoint
		off, worst := 0, 0.0
		for i, w := range want.Float32() {
			d := math.Abs(float64(w)/s + float64(z) - float64(q[i]))
			if d > 0.01 {
				off++
				worst = max(worst, d)
			}
		}
		if frac := float64(off) / float64(len(q)); frac > maxFlips {
			t.Errorf("%s: %.3f%% of codes differ from the fake-quant model (by up to %.0f)", name, 100*frac, worst)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no quantized activation was compared")
	}
}

// TestUnsupportedOpNamesNode checks that an op with no integer form fails
// the conversion with the node and op named.
func TestUnsupportedOpNamesNode(t *testing.T) {
	calib := fashionImages(t, 0, 32, 32)
	g := quantized(t, fashionCNN, quant.Options{}, calib)
	var relu *graph.Node
	for _, n := range g.Nodes {
		if n.Op == "Relu" {
			relu = n
			break
		}
	}
	if relu == nil {
		t.Fatal("model has no Relu")
	}
	relu.Op = "Sigmoid"
	_, err := Convert(g, map[string][]int{g.Inputs[0].Name: {1, 1, 28, 28}}, Options{})
	if err == nil || !strings.Contains(err.Error(), relu.Name) || !strings.Contains(err.Error(), "Sigmoid") {
		t.Fatalf("want an error naming node %q and op Sigmoid, got %v", relu.Name, err)
	}
}

// TestDynamicActivationQuantizerRejected checks that per-token activation
// quantization is refused with the reason.
func TestDynamicActivationQuantizerRejected(t *testing.T) {
	calib := fashionImages(t, 0, 32, 32)
	g := quantized(t, fashionCNN, quant.Options{AAlgo: "minmax_token"}, calib)
	_, err := Convert(g, map[string][]int{g.Inputs[0].Name: {1, 1, 28, 28}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "per-tensor") {
		t.Fatalf("want a per-tensor requirement error, got %v", err)
	}
}

// TestOverflowRefused checks the range analysis: 16-bit activations and
// weights over a long reduction can overflow int32 and are refused.
func TestOverflowRefused(t *testing.T) {
	calib := fashionImages(t, 0, 32, 32)
	g := quantized(t, fashionCNN, quant.Options{WBits: 16, ABits: 16}, calib)
	_, err := Convert(g, map[string][]int{g.Inputs[0].Name: {1, 1, 28, 28}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "overflow int32") {
		t.Fatalf("want an int32 overflow error, got %v", err)
	}
}

// TestClampCodes checks fused activation limits on a hand-worked grid.
func TestClampCodes(t *testing.T) {
	g := integer.Grid{Bits: 8, Signed: false, Scale: []float64{0.05}, ZeroPoint: 10}
	lo, hi := clampCodes(realRange{0, 6}, g) // ReLU6: 0 → code 10, 6/0.05 = 120 → 130
	if lo != 10 || hi != 130 {
		t.Fatalf("ReLU6 on scale 0.05, zero point 10: got [%d, %d], want [10, 130]", lo, hi)
	}
	lo, hi = clampCodes(realRange{0, 100}, g) // 100/0.05 = 2000 → saturates at 255
	if lo != 10 || hi != 255 {
		t.Fatalf("got [%d, %d], want [10, 255]", lo, hi)
	}
}
