package zoo

import (
	"fmt"

	"t2c/graph"
)

// VGG with batch normalisation, torchvision's vgg{11,13,16,19}_bn: module
// names features.N (Conv2d with bias, BatchNorm2d, ReLU; MaxPool2d for each
// "M") and classifier.{0,3,6} (Linear; ReLU and Dropout in between, Dropout
// omitted as in eval mode), torchvision's initialisation (convs
// kaiming_normal_ fan_out with zero bias, BatchNorm 1/0, Linear N(0, 0.01)
// with zero bias).
//
// The classifier depends on the feature map side s = ImageSize/32 (five
// 2×2 pools; ImageSize must be at least 32):
//
//   - s a multiple of 7 (ImageSize 224, 448 …): exactly torchvision,
//     AdaptiveAvgPool2d(7) (an identity at 224, an s/7 average pool
//     otherwise), then Linear(512·7·7, H), Linear(H, H), Linear(H, Classes)
//     with H = Config.Hidden, default 4096.
//   - otherwise (small inputs such as CIFAR's 32×32): no pooling, the
//     classifier reads the flattened 512·s·s features, with H default 512 —
//     the common CIFAR VGG. (torchvision would replicate a 1×1 map to 7×7
//     for a 25088-wide first layer; that is 49 times the weights for the
//     same function, so it is not reproduced.)

// vggConfigs are torchvision's layer lists; 0 stands for "M" (max pool).
var vggConfigs = map[string][]int{
	"vgg11_bn": {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	"vgg13_bn": {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	"vgg16_bn": {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0},
	"vgg19_bn": {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0},
}

func init() {
	for name, layers := range vggConfigs {
		models[name] = model{
			build:    func(name string, cfg Config) (*graph.Graph, error) { return buildVGG(name, cfg, layers) },
			defaults: noDefaults,
			uses:     []string{"Hidden"},
		}
	}
}

func buildVGG(name string, cfg Config, layers []int) (*graph.Graph, error) {
	s := cfg.ImageSize / 32
	if s < 1 {
		return nil, fmt.Errorf("Config.ImageSize must be at least 32 (five 2×2 max pools), got %d", cfg.ImageSize)
	}
	if cfg.Hidden < 0 {
		return nil, fmt.Errorf("Config.Hidden must be positive, got %d", cfg.Hidden)
	}
	b := newBuilder(name, cfg)
	x, c, i := InputName, cfg.InChannels, 0
	for _, v := range layers {
		if v == 0 {
			x = b.maxPool(fmt.Sprintf("features.%d", i), x, 2, 2, 0)
			i++
			continue
		}
		x = b.conv(fmt.Sprintf("features.%d", i), x, conv2d{cin: c, cout: v, k: 3, stride: 1, pad: 1, weight: kaimingConv(v, 3), hasBias: true})
		x = b.batchNorm(fmt.Sprintf("features.%d", i+1), x, v)
		x = b.relu(fmt.Sprintf("features.%d", i+2), x)
		c, i = v, i+3
	}
	hidden, side := cfg.Hidden, s
	if s%7 == 0 {
		if s > 7 {
			k := int64(s / 7)
			x = b.op("AveragePool", "avgpool", map[string]graph.Attr{
				"kernel_shape": graph.IntsAttr(k, k),
				"strides":      graph.IntsAttr(k, k),
			}, x)
		}
		side = 7
		if hidden == 0 {
			hidden = 4096
		}
	} else if hidden == 0 {
		hidden = 512
	}
	x = b.op("Flatten", "flatten", map[string]graph.Attr{"axis": graph.IntAttr(1)}, x)
	w := normalInit(0.01)
	x = b.relu("classifier.1", b.linear("classifier.0", x, c*side*side, hidden, w, nil))
	x = b.relu("classifier.4", b.linear("classifier.3", x, hidden, hidden, w, nil))
	x = b.linear("classifier.6", x, hidden, cfg.Classes, w, nil)
	return b.finish(x, cfg.Classes)
}
