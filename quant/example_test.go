package quant_test

import (
	"fmt"

	"t2c/quant"
	"t2c/tensor"
	"t2c/zoo"
)

// Place 4-bit quantizers on a ResNet-8 (8-bit first and last layers),
// calibrate them, and read one layer's integer parameters.
func ExampleInsert() {
	g, _ := zoo.Build("resnet8", zoo.Config{InChannels: 1, ImageSize: 28, Classes: 10, Seed: 1})
	rep, err := quant.Insert(g, quant.Options{WBits: 4, ABits: 4, FirstLast8Bit: true})
	if err != nil {
		panic(err)
	}
	if err := quant.Calibrate(g, tensor.Zeros(tensor.Float32, 2, 1, 28, 28)); err != nil {
		panic(err)
	}
	sites, _ := quant.SitesUnder(g, "layer1.0.conv1")
	for _, s := range sites {
		p, _ := s.QParams(nil)
		fmt.Printf("%s: %v, %d scale(s), state %v\n", s.Node.Name, p.Spec, len(p.Scale), s.StateParams()[:2])
	}
	fmt.Println(rep.Count(), "quantizers")
	// Output:
	// layer1.0.conv1.aq: 4-bit unsigned per-tensor, 1 scale(s), state [layer1.0.conv1.aq.scale layer1.0.conv1.aq.zero_point]
	// layer1.0.conv1.wq: 4-bit signed per-channel(axis 0), 16 scale(s), state [layer1.0.conv1.wq.scale layer1.0.conv1.wq.zero_point]
	// 20 quantizers
}

// Quantize rounds half to even, like torch.round.
func ExampleQParams_Quantize() {
	p := &quant.QParams{Spec: quant.Spec{Bits: 8, Signed: true, Granularity: quant.PerTensor}, Scale: []float32{0.5}, ZeroPoint: []int32{0}}
	q, _ := p.Quantize(tensor.FromSlice([]float32{0.25, 0.75, 1.25, -0.75, 100}))
	fmt.Println(q.Int8())
	// Output: [0 2 2 -2 127]
}
