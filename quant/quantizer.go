package quant

import (
	"fmt"
	"sort"
	"sync"

	"t2c/graph"
	"t2c/tensor"
)

// Quantizer is one quantization algorithm bound to one Spec: the extension
// point of the package. Its state (scales, zero points, learned and
// observed values) is not kept in the Quantizer but in graph parameters
// that the FakeQuant node reads as inputs and that State presents; the
// same Quantizer value may therefore be rebuilt at any time from the node's
// attributes, and its state is trained by package train and saved by
// package checkpoint like any weight.
type Quantizer interface {
	// Spec is the integer format, with every default resolved.
	Spec() Spec
	// Init declares the state parameters and their initial values for an
	// operand of the given shape (a weight's exact shape; an activation's
	// shape for a batch of one, or nil if unknown). Params named "scale"
	// (float32) and "zero_point" (int32) become State.Scale and
	// State.ZeroPoint; the others become State.Extra in order.
	Init(shape []int) ([]Param, error)
	// Observe updates the state from calibration data x in place: running
	// statistics, and the scale and zero point (or learned parameters'
	// initial values) derived from them. Quantizers without calibration
	// statistics do nothing.
	Observe(x *tensor.Tensor, st State) error
	// Forward is the fake-quantization: quantize then dequantize, a float
	// tensor shaped like x. train selects the training path (soft
	// rounding, random drop). saved, if not nil, is handed back to
	// Backward (a random mask, for instance).
	Forward(ctx *graph.Ctx, x *tensor.Tensor, st State, train bool) (y, saved *tensor.Tensor, err error)
	// Backward returns the gradient of x and of each state parameter
	// (aligned with Scale, ZeroPoint, Extra...; nil entries take no
	// gradient) given the output gradient dy: straight-through estimators
	// and learned-parameter gradients.
	Backward(ctx *graph.Ctx, x *tensor.Tensor, st State, train bool, saved, dy *tensor.Tensor) (dx *tensor.Tensor, dState []*tensor.Tensor, err error)
	// QParams is the inference path: the exact integer parameters. x is
	// the operand; quantizers whose parameters depend on the data at run
	// time (per-token, per-block) need it, the others accept nil.
	QParams(x *tensor.Tensor, st State) (*QParams, error)
}

// Integerizer is implemented by quantizers whose integers are not
// QParams.Quantize of the operand (AdaRound's learned rounding): Integer
// returns x's integer tensor, in QParams' storage type.
type Integerizer interface {
	Integer(x *tensor.Tensor, st State) (*tensor.Tensor, error)
}

// State is a quantizer's parameters as the FakeQuant node receives them.
// The tensors are the graph's own: Observe may update them in place.
type State struct {
	Scale     *tensor.Tensor // float32 per group, or nil
	ZeroPoint *tensor.Tensor // int32 per group, or nil
	Extra     []*tensor.Tensor
}

// Param is one state parameter declared by Quantizer.Init.
type Param struct {
	Name      string         // "scale", "zero_point" or an extra name such as "alpha", "min"
	Value     *tensor.Tensor // initial value
	Learnable bool           // updated by gradient descent (LSQ step, AdaRound α)
}

// Factory builds a quantizer for a spec. Spec fields left zero
// (Granularity "", Block 0) take the algorithm's defaults, which the
// returned Quantizer's Spec reports. a holds the FakeQuant node's
// attributes: the factory reads its algorithm options from it (with
// defaults), so options it does not read are reported as unsupported.
type Factory func(s Spec, a *graph.Attrs) (Quantizer, error)

var (
	algoMu sync.RWMutex
	algos  = map[string]Factory{}
)

// Register makes an algorithm available by name to FakeQuant nodes,
// Insert options and configs. Registering a name twice panics.
func Register(name string, f Factory) {
	algoMu.Lock()
	defer algoMu.Unlock()
	if name == "" || f == nil {
		panic("quant: Register needs a name and a factory")
	}
	if _, dup := algos[name]; dup {
		panic("quant: algorithm registered twice: " + name)
	}
	algos[name] = f
}

// Lookup returns the factory of a registered algorithm.
func Lookup(name string) (Factory, bool) {
	algoMu.RLock()
	defer algoMu.RUnlock()
	f, ok := algos[name]
	return f, ok
}

// Algorithms lists the registered algorithm names, sorted.
func Algorithms() []string {
	algoMu.RLock()
	defer algoMu.RUnlock()
	names := make([]string, 0, len(algos))
	for n := range algos {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds the named algorithm for spec with the given algorithm options
// (attributes such as "p" or "percentile"), exactly as a FakeQuant node
// with those attributes would: unknown names, impossible specs and options
// the algorithm does not read are errors.
func New(algo string, s Spec, opts map[string]graph.Attr) (Quantizer, error) {
	n := &graph.Node{Name: algo, Op: OpType, Attrs: nodeAttrs(algo, s, opts)}
	a := graph.NewAttrs(n)
	k, err := buildFakeQuant(n, a, 0)
	if err == nil {
		err = a.Err()
	}
	if err != nil {
		return nil, err
	}
	return k.(*kernel).q, nil
}

// newQuantizer resolves and calls a factory, checking the result.
func newQuantizer(algo string, s Spec, a *graph.Attrs) (Quantizer, error) {
	f, ok := Lookup(algo)
	if !ok {
		return nil, fmt.Errorf("unknown quantization algorithm %q (registered: %v)", algo, Algorithms())
	}
	q, err := f(s, a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", algo, err)
	}
	if err := q.Spec().Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", algo, err)
	}
	return q, nil
}

// Compile-time checks that the built-in algorithms implement the interfaces.
var (
	_ Quantizer   = identity{}
	_ Quantizer   = minmax{}
	_ Quantizer   = dynamicToken{}
	_ Quantizer   = mse{}
	_ Quantizer   = percentile{}
	_ Quantizer   = lsq{}
	_ Quantizer   = qdrop{}
	_ Quantizer   = adaround{}
	_ Quantizer   = mxint{}
	_ Integerizer = adaround{}
)
