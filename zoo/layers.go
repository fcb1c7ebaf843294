package zoo

import (
	"t2c/graph"
	"t2c/tensor"
)

// This file holds the layers every model family uses, each emitting the
// ONNX (opset 17) nodes PyTorch's exporter would and the parameters its
// module owns, under the module's state_dict names.

// conv2d is a square nn.Conv2d: weight [cout, cin/groups, k, k] and, with
// bias, a bias [cout].
type conv2d struct {
	cin, cout, k, stride, pad, groups int
	weight                            initFn // nil leaves zeros
	bias                              initFn // used only when hasBias
	hasBias                           bool
}

// conv appends Conv named name over x.
func (b *builder) conv(name, x string, c conv2d) string {
	g := max(c.groups, 1)
	in := []string{x, b.param(name+".weight", c.weight, c.cout, c.cin/g, c.k, c.k)}
	if c.hasBias {
		in = append(in, b.param(name+".bias", c.bias, c.cout))
	}
	k, s, p := int64(c.k), int64(c.stride), int64(c.pad)
	return b.op("Conv", name, map[string]graph.Attr{
		"kernel_shape": graph.IntsAttr(k, k),
		"strides":      graph.IntsAttr(s, s),
		"pads":         graph.IntsAttr(p, p, p, p),
		"dilations":    graph.IntsAttr(1, 1),
		"group":        graph.IntAttr(int64(g)),
	}, in...)
}

// kaimingConv is the torchvision conv weight initialisation.
func kaimingConv(cout, k int) initFn { return kaimingNormalFanOut(cout * k * k) }

// batchNorm appends an eval-mode nn.BatchNorm2d(c): weight 1, bias 0,
// running_mean 0, running_var 1, eps 1e-5, PyTorch momentum 0.1 (ONNX 0.9).
func (b *builder) batchNorm(name, x string, c int) string {
	return b.op("BatchNormalization", name, map[string]graph.Attr{
		"epsilon":  graph.FloatAttr(1e-5),
		"momentum": graph.FloatAttr(0.9),
	}, x,
		b.param(name+".weight", constInit(1), c),
		b.param(name+".bias", nil, c),
		b.param(name+".running_mean", nil, c),
		b.param(name+".running_var", constInit(1), c))
}

// layerNorm appends nn.LayerNorm(dim, eps) over the last axis.
func (b *builder) layerNorm(name, x string, dim int, eps float32) string {
	return b.op("LayerNormalization", name, map[string]graph.Attr{
		"axis":    graph.IntAttr(-1),
		"epsilon": graph.FloatAttr(eps),
	}, x, b.param(name+".weight", constInit(1), dim), b.param(name+".bias", nil, dim))
}

// linear appends nn.Linear(in, out) on a 2-D input as Gemm(transB=1), so
// the weight keeps PyTorch's [out, in] layout.
func (b *builder) linear(name, x string, in, out int, weight, bias initFn) string {
	return b.op("Gemm", name, map[string]graph.Attr{"transB": graph.IntAttr(1)},
		x, b.param(name+".weight", weight, out, in), b.param(name+".bias", bias, out))
}

// relu appends Relu.
func (b *builder) relu(name, x string) string { return b.op("Relu", name, nil, x) }

// relu6 appends nn.ReLU6 as Clip(x, 0, 6) with constant bounds.
func (b *builder) relu6(name, x string) string {
	lo := b.constant(name+".min", tensor.Scalar[float32](0))
	hi := b.constant(name+".max", tensor.Scalar[float32](6))
	return b.op("Clip", name, nil, x, lo, hi)
}

// maxPool appends nn.MaxPool2d(k, stride, pad).
func (b *builder) maxPool(name, x string, k, stride, pad int) string {
	kk, s, p := int64(k), int64(stride), int64(pad)
	return b.op("MaxPool", name, map[string]graph.Attr{
		"kernel_shape": graph.IntsAttr(kk, kk),
		"strides":      graph.IntsAttr(s, s),
		"pads":         graph.IntsAttr(p, p, p, p),
	}, x)
}

// avgPoolFlatten appends AdaptiveAvgPool2d(1) and flatten(1): the
// classifier input of every CNN here.
func (b *builder) avgPoolFlatten(x string) string {
	x = b.op("GlobalAveragePool", "avgpool", nil, x)
	return b.op("Flatten", "flatten", map[string]graph.Attr{"axis": graph.IntAttr(1)}, x)
}

// add appends Add.
func (b *builder) add(name, x, y string) string { return b.op("Add", name, nil, x, y) }
