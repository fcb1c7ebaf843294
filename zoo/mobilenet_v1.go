package zoo

import (
	"fmt"

	"t2c/graph"
)

// MobileNetV1 (Howard et al. 2017) as the widely used PyTorch
// implementation writes it: model = Sequential(conv_bn(3, 32, 2), 13 ×
// conv_dw, AvgPool2d), fc = Linear(1024, classes), where conv_bn is
// Sequential(Conv 3×3, BN, ReLU) (names model.0.{0,1}) and conv_dw is
// Sequential(depthwise Conv 3×3, BN, ReLU, pointwise Conv 1×1, BN, ReLU)
// (names model.i.{0,1,3,4}). The final AvgPool2d(7) is a global average
// pool here, so inputs other than 224×224 work. Weights use PyTorch's
// default initialisation (that implementation has no custom one): convs and
// fc U(±1/√fan_in), BatchNorm 1/0.

// mobilenetV1Blocks are the (out channels, stride) of the conv_dw blocks.
var mobilenetV1Blocks = [][2]int{
	{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
	{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
}

func init() {
	models["mobilenet_v1"] = model{build: buildMobileNetV1, defaults: noDefaults}
}

func buildMobileNetV1(name string, cfg Config) (*graph.Graph, error) {
	b := newBuilder(name, cfg)
	const stem = 32
	x := b.conv("model.0.0", InputName, conv2d{cin: cfg.InChannels, cout: stem, k: 3, stride: 2, pad: 1, weight: torchDefault(cfg.InChannels * 9)})
	x = b.relu("model.0.2", b.batchNorm("model.0.1", x, stem))
	c := stem
	for i, blk := range mobilenetV1Blocks {
		p := fmt.Sprintf("model.%d", i+1)
		out, stride := blk[0], blk[1]
		x = b.conv(p+".0", x, conv2d{cin: c, cout: c, k: 3, stride: stride, pad: 1, groups: c, weight: torchDefault(9)})
		x = b.relu(p+".2", b.batchNorm(p+".1", x, c))
		x = b.conv(p+".3", x, conv2d{cin: c, cout: out, k: 1, stride: 1, weight: torchDefault(c)})
		x = b.relu(p+".5", b.batchNorm(p+".4", x, out))
		c = out
	}
	x = b.avgPoolFlatten(x)
	x = b.linear("fc", x, c, cfg.Classes, torchDefault(c), torchDefault(c))
	return b.finish(x, cfg.Classes)
}
