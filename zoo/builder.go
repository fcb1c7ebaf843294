package zoo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"t2c/graph"
	"t2c/tensor"
)

// builder appends nodes and parameters to a graph under PyTorch module
// paths: a module "layer1.0.conv1" becomes a node of that name whose output
// value has the same name, with parameters "layer1.0.conv1.weight" and so
// on. Functional steps that PyTorch runs through one module several times
// (a block's shared ReLU) get "_1", "_2" suffixes, as in ONNX exports.
type builder struct {
	g        *graph.Graph
	seed     uint64
	skipInit bool
	used     map[string]bool
}

// newBuilder starts a graph with the image input "input" [-1, C, S, S].
func newBuilder(name string, cfg Config) *builder {
	g := graph.New(name, Opset)
	g.Inputs = []graph.ValueInfo{{Name: InputName, DType: tensor.Float32, Shape: []int{-1, cfg.InChannels, cfg.ImageSize, cfg.ImageSize}}}
	return &builder{g: g, seed: cfg.Seed, skipInit: cfg.SkipInit, used: map[string]bool{InputName: true}}
}

// unique returns name, or name_1, name_2 ... if it is taken.
func (b *builder) unique(name string) string {
	u := name
	for i := 1; b.used[u]; i++ {
		u = fmt.Sprintf("%s_%d", name, i)
	}
	b.used[u] = true
	return u
}

// op appends a node named after its module path and returns its output.
func (b *builder) op(opType, name string, attrs map[string]graph.Attr, inputs ...string) string {
	out := b.unique(name)
	b.g.Nodes = append(b.g.Nodes, &graph.Node{Name: out, Op: opType, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

// opN appends a node with n outputs named name.0 … name.{n-1}.
func (b *builder) opN(opType, name string, n int, attrs map[string]graph.Attr, inputs ...string) []string {
	node := b.unique(name)
	outs := make([]string, n)
	for i := range outs {
		outs[i] = b.unique(fmt.Sprintf("%s.%d", node, i))
	}
	b.g.Nodes = append(b.g.Nodes, &graph.Node{Name: node, Op: opType, Inputs: inputs, Outputs: outs, Attrs: attrs})
	return outs
}

// param adds a float32 parameter initialised by init (zeros when init is
// nil or initialisation is skipped). Each parameter draws from its own
// random stream, seeded by the model seed and the parameter name, so a
// parameter's initial value does not depend on the order of construction.
func (b *builder) param(name string, init initFn, shape ...int) string {
	if _, dup := b.g.Params[name]; dup || b.used[name] {
		panic("zoo: parameter defined twice: " + name) // a bug in a model builder
	}
	b.used[name] = true
	t := tensor.Zeros(tensor.Float32, shape...)
	if init != nil && !b.skipInit {
		h := fnv.New64a()
		h.Write([]byte(name))
		init(rand.New(rand.NewPCG(b.seed, h.Sum64())), t.Float32())
	}
	b.g.Params[name] = t
	return name
}

// constant adds a Constant node (not a parameter: constants are not model
// state, are never trained, and are folded away by graph.Specialize).
func (b *builder) constant(name string, v *tensor.Tensor) string {
	return b.op("Constant", name, map[string]graph.Attr{"value": graph.TensorAttr(v)})
}

// ints adds an int64 vector constant (shapes, axes).
func (b *builder) ints(name string, v ...int64) string {
	return b.constant(name, tensor.FromSlice(v))
}

// finish names the value x "output", declares it [-1, classes] and checks
// the graph.
func (b *builder) finish(x string, classes int) (*graph.Graph, error) {
	for _, n := range b.g.Nodes {
		for i, o := range n.Outputs {
			if o == x {
				n.Outputs[i] = OutputName
			}
		}
	}
	b.g.Outputs = []graph.ValueInfo{{Name: OutputName, DType: tensor.Float32, Shape: []int{-1, classes}}}
	if err := b.g.Validate(); err != nil {
		return nil, fmt.Errorf("zoo: %s: %w", b.g.Name, err)
	}
	return b.g, nil
}
