package zoo

import (
	"fmt"
	"math"

	"t2c/graph"
)

// MobileNetV2 as torchvision builds it: features.0 = Conv2dNormActivation
// (Conv, BN, ReLU6: features.0.{0,1}), features.1…17 InvertedResidual
// blocks (features.i.conv.{0.0,0.1,1.0,1.1,2,3} with an expansion layer,
// features.i.conv.{0.0,0.1,1,2} without), features.18 the 1×1 head
// conv, global average pool, classifier.1 = Linear (classifier.0 is
// Dropout). Config.Width is the width multiplier, with torchvision's
// rounding of every channel count to a multiple of 8. Initialisation as
// torchvision: convs kaiming_normal_ fan_out, BatchNorm 1/0, Linear
// N(0, 0.01) with zero bias.

// mobilenetV2Settings are torchvision's (expansion t, channels c, repeats
// n, first stride s) rows.
var mobilenetV2Settings = [][4]int{
	{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
	{6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
}

func init() {
	models["mobilenet_v2"] = model{
		build: buildMobileNetV2,
		defaults: func(c *Config) {
			if c.Width == 0 {
				c.Width = 1
			}
		},
		uses: []string{"Width"},
	}
}

// makeDivisible is torchvision's _make_divisible(v, 8): round to the
// nearest multiple of 8, at least 8, never more than 10% below v.
func makeDivisible(v float64) int {
	const d = 8
	n := max(d, int(v+d/2)/d*d)
	if float64(n) < 0.9*v {
		n += d
	}
	return n
}

func buildMobileNetV2(name string, cfg Config) (*graph.Graph, error) {
	if !(cfg.Width > 0) || math.IsInf(cfg.Width, 0) {
		return nil, fmt.Errorf("Config.Width must be positive, got %v", cfg.Width)
	}
	b := newBuilder(name, cfg)
	in := makeDivisible(32 * cfg.Width)
	last := makeDivisible(1280 * max(1, cfg.Width))
	x := b.convBNReLU6("features.0", InputName, cfg.InChannels, in, 3, 2, 1)
	i := 1
	for _, s := range mobilenetV2Settings {
		t, out := s[0], makeDivisible(float64(s[1])*cfg.Width)
		for r := range s[2] {
			stride := 1
			if r == 0 {
				stride = s[3]
			}
			x = b.invertedResidual(fmt.Sprintf("features.%d", i), x, in, out, stride, t)
			in, i = out, i+1
		}
	}
	x = b.convBNReLU6(fmt.Sprintf("features.%d", i), x, in, last, 1, 1, 1)
	x = b.avgPoolFlatten(x)
	x = b.linear("classifier.1", x, last, cfg.Classes, normalInit(0.01), nil)
	return b.finish(x, cfg.Classes)
}

// convBNReLU6 is torchvision's Conv2dNormActivation with ReLU6:
// Sequential(Conv2d(bias=False), BatchNorm2d, ReLU6) under prefix p.
func (b *builder) convBNReLU6(p, x string, cin, cout, k, stride, groups int) string {
	x = b.conv(p+".0", x, conv2d{cin: cin, cout: cout, k: k, stride: stride, pad: (k - 1) / 2, groups: groups, weight: kaimingConv(cout, k)})
	return b.relu6(p+".2", b.batchNorm(p+".1", x, cout))
}

// invertedResidual is torchvision's InvertedResidual block.
func (b *builder) invertedResidual(p, x string, cin, cout, stride, expand int) string {
	hidden := int(math.Round(float64(cin * expand)))
	y, j := x, 0
	if expand != 1 {
		y = b.convBNReLU6(fmt.Sprintf("%s.conv.%d", p, j), y, cin, hidden, 1, 1, 1)
		j++
	}
	y = b.convBNReLU6(fmt.Sprintf("%s.conv.%d", p, j), y, hidden, hidden, 3, stride, hidden)
	y = b.conv(fmt.Sprintf("%s.conv.%d", p, j+1), y, conv2d{cin: hidden, cout: cout, k: 1, stride: 1, weight: kaimingConv(cout, 1)})
	y = b.batchNorm(fmt.Sprintf("%s.conv.%d", p, j+2), y, cout)
	if stride == 1 && cin == cout {
		return b.add(p+".add", x, y)
	}
	return y
}
