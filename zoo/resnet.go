package zoo

import (
	"fmt"

	"t2c/graph"
)

// ResNets with torchvision's module names (conv1, bn1, layer{1..4}.{i}.
// conv{1,2,3}/bn{1,2,3}, layer{n}.0.downsample.{0,1}, fc) and
// initialisation (convs kaiming_normal_ fan_out, BatchNorm 1/0, fc with
// nn.Linear's default U(±1/√fan_in)).
//
//   - resnet18, resnet34 (BasicBlock) and resnet50 (Bottleneck, stride on
//     the 3×3 conv as in torchvision "v1.5"), widths 64…512, with the
//     ImageNet stem or the CIFAR stem (Config.Stem).
//   - resnet8/20/32/44/56: the CIFAR ResNets of He et al. (3 stages of
//     16/32/64 channels, (depth-2)/6 BasicBlocks each) with a 1×1 conv+BN
//     projection shortcut where the shape changes ("option B"), the same
//     names and initialisation as torchvision.

func init() {
	for name, layers := range map[string][]int{"resnet18": {2, 2, 2, 2}, "resnet34": {3, 4, 6, 3}, "resnet50": {3, 4, 6, 3}} {
		arch := resnetArch{layers: layers, widths: []int{64, 128, 256, 512}, bottleneck: name == "resnet50"}
		models[name] = model{
			build:    arch.build,
			defaults: stemDefaults,
			uses:     []string{"Stem"},
		}
	}
	for _, depth := range []int{8, 20, 32, 44, 56} {
		n := (depth - 2) / 6
		arch := resnetArch{layers: []int{n, n, n}, widths: []int{16, 32, 64}, cifar: true}
		models[fmt.Sprintf("resnet%d", depth)] = model{build: arch.build, defaults: cifarDefaults}
	}
}

// cifarDefaults sizes a model for CIFAR-10.
func cifarDefaults(c *Config) {
	if c.ImageSize == 0 {
		c.ImageSize = 32
	}
	if c.Classes == 0 {
		c.Classes = 10
	}
}

// stemDefaults picks the ImageNet stem, or CIFAR sizes for the CIFAR stem.
func stemDefaults(c *Config) {
	if c.Stem == "" {
		c.Stem = "imagenet"
	}
	if c.Stem == "cifar" {
		cifarDefaults(c)
	}
}

// resnetArch is one ResNet: blocks per stage and stage widths.
type resnetArch struct {
	layers     []int
	widths     []int
	bottleneck bool
	cifar      bool // the CIFAR family: 3×3 stem of widths[0] channels
}

func (a resnetArch) build(name string, cfg Config) (*graph.Graph, error) {
	b := newBuilder(name, cfg)
	x := InputName
	stem := a.widths[0]
	switch {
	case a.cifar || cfg.Stem == "cifar":
		x = b.conv("conv1", x, conv2d{cin: cfg.InChannels, cout: stem, k: 3, stride: 1, pad: 1, weight: kaimingConv(stem, 3)})
		x = b.relu("relu", b.batchNorm("bn1", x, stem))
	case cfg.Stem == "imagenet":
		x = b.conv("conv1", x, conv2d{cin: cfg.InChannels, cout: stem, k: 7, stride: 2, pad: 3, weight: kaimingConv(stem, 7)})
		x = b.relu("relu", b.batchNorm("bn1", x, stem))
		x = b.maxPool("maxpool", x, 3, 2, 1)
	default:
		return nil, fmt.Errorf(`Config.Stem must be "imagenet" or "cifar", got %q`, cfg.Stem)
	}
	expansion := 1
	if a.bottleneck {
		expansion = 4
	}
	inplanes := stem
	for s, blocks := range a.layers {
		planes := a.widths[s]
		for i := range blocks {
			stride := 1
			if i == 0 && s > 0 {
				stride = 2
			}
			prefix := fmt.Sprintf("layer%d.%d", s+1, i)
			if a.bottleneck {
				x = b.bottleneck(prefix, x, inplanes, planes, stride)
			} else {
				x = b.basicBlock(prefix, x, inplanes, planes, stride)
			}
			inplanes = planes * expansion
		}
	}
	x = b.avgPoolFlatten(x)
	x = b.linear("fc", x, inplanes, cfg.Classes, torchDefault(inplanes), torchDefault(inplanes))
	return b.finish(x, cfg.Classes)
}

// basicBlock is torchvision's BasicBlock: two 3×3 conv+BN, identity or
// projection shortcut, ReLU after the sum.
func (b *builder) basicBlock(p, x string, inplanes, planes, stride int) string {
	out := b.conv(p+".conv1", x, conv2d{cin: inplanes, cout: planes, k: 3, stride: stride, pad: 1, weight: kaimingConv(planes, 3)})
	out = b.relu(p+".relu", b.batchNorm(p+".bn1", out, planes))
	out = b.conv(p+".conv2", out, conv2d{cin: planes, cout: planes, k: 3, stride: 1, pad: 1, weight: kaimingConv(planes, 3)})
	out = b.batchNorm(p+".bn2", out, planes)
	return b.relu(p+".relu", b.add(p+".add", out, b.shortcut(p, x, inplanes, planes, stride)))
}

// bottleneck is torchvision's Bottleneck (expansion 4, stride on conv2).
func (b *builder) bottleneck(p, x string, inplanes, planes, stride int) string {
	out := b.conv(p+".conv1", x, conv2d{cin: inplanes, cout: planes, k: 1, stride: 1, weight: kaimingConv(planes, 1)})
	out = b.relu(p+".relu", b.batchNorm(p+".bn1", out, planes))
	out = b.conv(p+".conv2", out, conv2d{cin: planes, cout: planes, k: 3, stride: stride, pad: 1, weight: kaimingConv(planes, 3)})
	out = b.relu(p+".relu", b.batchNorm(p+".bn2", out, planes))
	out = b.conv(p+".conv3", out, conv2d{cin: planes, cout: 4 * planes, k: 1, stride: 1, weight: kaimingConv(4*planes, 1)})
	out = b.batchNorm(p+".bn3", out, 4*planes)
	return b.relu(p+".relu", b.add(p+".add", out, b.shortcut(p, x, inplanes, 4*planes, stride)))
}

// shortcut is the identity, or downsample = Sequential(conv1x1, BN) when
// the stride or the channel count changes.
func (b *builder) shortcut(p, x string, cin, cout, stride int) string {
	if stride == 1 && cin == cout {
		return x
	}
	x = b.conv(p+".downsample.0", x, conv2d{cin: cin, cout: cout, k: 1, stride: stride, weight: kaimingConv(cout, 1)})
	return b.batchNorm(p+".downsample.1", x, cout)
}
