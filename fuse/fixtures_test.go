package fuse

import (
	"math/rand/v2"
	"testing"

	"t2c/integer"
	"t2c/quant"
	"t2c/tensor"
)

// randomImages returns n batches of standard-normal 3×32×32 images.
func randomImages(seed uint64, n, batch int) []*tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []*tensor.Tensor
	for range n {
		x := tensor.Zeros(tensor.Float32, batch, 3, 32, 32)
		for i := range x.Float32() {
			x.Float32()[i] = float32(r.NormFloat64())
		}
		out = append(out, x)
	}
	return out
}

// TestPyTorchFixturesMatchFakeQuant converts the PyTorch ResNet (residual
// adds, downsample convs, global pooling) and MobileNetV2 (depthwise
// convs, ReLU6, inverted residuals) fixtures at W8A8 and W4A4: every
// quantized activation equals the fake-quant model's integers but for
// rare rounding ties, and predictions agree.
func TestPyTorchFixturesMatchFakeQuant(t *testing.T) {
	calib := randomImages(1, 4, 16)
	test := randomImages(2, 4, 32)
	for _, model := range []string{"resnet", "mobilenetv2"} {
		for _, bits := range []int{8, 4} {
			name := model + map[int]string{8: "/W8A8", 4: "/W4A4"}[bits]
			t.Run(name, func(t *testing.T) {
				g := quantized(t, "../testdata/pytorch/"+model+".onnx", quant.Options{WBits: bits, ABits: bits, FirstLast8Bit: bits < 8}, calib)
				m, err := NewModel(g, Options{Format: integer.Format{Kind: integer.FormatDyadic}})
				if err != nil {
					t.Fatal(err)
				}
				agree, maxDiff := agreement(t, g, m, test)
				t.Logf("agreement %.4f, max |logit diff| %.3g", agree, maxDiff)
				if agree < 0.99 {
					t.Errorf("top-1 agreement %.4f < 0.99", agree)
				}
				checkActivations(t, g, m, test[0], 0.001)
			})
		}
	}
}
