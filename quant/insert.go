package quant

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"t2c/graph"
	"t2c/tensor"
)

// Default algorithms of Insert (Torch2Chip's usual wqtype/xqtype pair).
const (
	DefaultWAlgo = "minmax_channel"
	DefaultAAlgo = "minmax"
)

// Options configures Insert. Zero fields take the defaults: 8 bits,
// DefaultWAlgo / DefaultAAlgo, each algorithm's default granularity.
type Options struct {
	WBits, ABits int    // weight and activation bits (MinBits..MaxBits)
	WAlgo, AAlgo string // algorithm names (Torch2Chip's wqtype, xqtype)
	// WGranularity, AGranularity override the algorithms' default
	// granularity (e.g. "tensor" for a per-tensor AdaRound).
	WGranularity, AGranularity Granularity
	// WOptions, AOptions are algorithm options, set as attributes of the
	// FakeQuant nodes (e.g. {"p": graph.FloatAttr(0.5)} for qdrop,
	// {"percentile": graph.FloatAttr(99.9)}).
	WOptions, AOptions map[string]graph.Attr
	// FirstLast8Bit keeps the first and the last layer with a weight
	// parameter at 8-bit weights and activations.
	FirstLast8Bit bool
	// Skip lists path.Match globs of layer paths left unquantized.
	Skip []string
	// Overrides change bits or algorithms of the layers they match, in
	// order (a later match wins; overrides win over FirstLast8Bit).
	Overrides []Override
}

// Override sets the bits or algorithms of layers whose path matches the
// glob Match (path.Match syntax, e.g. "layer1.*"). Zero fields keep the
// value otherwise in force.
type Override struct {
	Match        string
	WBits, ABits int
	WAlgo, AAlgo string
}

// Report says what Insert did, per quantizable layer in graph order.
type Report struct {
	Layers []LayerReport
}

// LayerReport is one Conv, Gemm or MatMul.
type LayerReport struct {
	Layer      string // module path ("layer1.0.conv1", "blocks.0.attn.scores")
	Node       string // the layer's node name
	Op         string
	Skipped    bool // matched Options.Skip
	Quantizers []Inserted
}

// Inserted is one FakeQuant node Insert added.
type Inserted struct {
	Node   string // FakeQuant node name, also its output value ("conv1.wq")
	Input  int    // which input of the layer it feeds
	Value  string // the quantized value: weight parameter or activation
	Algo   string
	Spec   Spec
	Params []string // graph parameters holding its state
}

// Count is the number of FakeQuant nodes inserted.
func (r *Report) Count() int {
	n := 0
	for _, l := range r.Layers {
		n += len(l.Quantizers)
	}
	return n
}

// String renders the report as a table, one quantizer per line.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %-7s %-4s %-16s %s\n", "layer", "op", "in", "algorithm", "format")
	for _, l := range r.Layers {
		if l.Skipped {
			fmt.Fprintf(&b, "%-32s %-7s %-4s %-16s %s\n", l.Layer, l.Op, "-", "(skipped)", "float")
			continue
		}
		for _, q := range l.Quantizers {
			fmt.Fprintf(&b, "%-32s %-7s %-4d %-16s %v\n", l.Layer, l.Op, q.Input, q.Algo, q.Spec)
		}
	}
	return b.String()
}

// operand is one input of a layer to quantize.
type operand struct {
	input  int
	role   Role
	chAxis int // weights: output-channel axis; activations: feature axis
	rdAxis int // the axis the op reduces over (blocks run along it)
	// mask is the Mul applying a pruning mask to this weight (mask.go):
	// the quantizer then goes on the Mul's weight input.
	mask *graph.Node
}

// quantized is the value an operand's quantizer reads: the layer's input,
// or the weight parameter before its mask.
func (op operand) quantized(n *graph.Node) (value string, reader *graph.Node, input int) {
	if op.mask != nil {
		return op.mask.Inputs[0], op.mask, 0
	}
	return n.Inputs[op.input], n, op.input
}

// layerPlan is the bits and algorithms one layer gets.
type layerPlan struct {
	wbits, abits int
	walgo, aalgo string
}

// Insert places quantizers on every Conv, Gemm and MatMul of g: a weight
// quantizer on each weight parameter (signed; per output channel where the
// algorithm is channel-wise: axis 0 for Conv and Gemm(transB=1), 1 for
// Gemm(transB=0), the last axis for MatMul's right operand) and an
// activation quantizer on each activation operand, including both operands
// of activation×activation MatMuls (attention's Q·Kᵀ and attn·V).
// Activation quantizers are unsigned after non-negative producers (Relu,
// Clip(min ≥ 0), Softmax, pooling of those ...) and signed otherwise.
//
// A weight pruned by package prune, read through Mul(W, W_mask), is a
// weight operand: its quantizer goes on W before the mask,
// Mul(FakeQuant(W), W_mask), so masked weights stay exactly zero.
//
// Quantizer nodes are named after the layer's module path — the node name
// in zoo graphs, or the weight initializer's name without ".weight" in ONNX
// imports — with suffix "wq" (weight), "aq" (first activation operand) or
// "bq" (second); their state parameters are "<node>.scale" etc. Weight
// quantizers are observed on their weights at once; activation quantizers
// start at scale 1 and need calibration (Calibrate).
//
// Every option and every layer's quantizer is checked before g changes;
// the edited graph must still specialise for a batch of one. Insert
// replaces g.Nodes with edited copies and adds the state to g.Params.
func Insert(g *graph.Graph, opts Options) (*Report, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("quant.Insert: %w", err)
	}
	shapes, inputShapes := batchOneShapes(g)
	ng := g.Clone()
	sign := newSignedness(ng)
	producers := ng.Producers()
	targets := ng.Find("Conv", "Gemm", "MatMul")
	first, last := -1, -1
	for i, n := range targets {
		for _, op := range operandsOf(ng, n, producers) {
			if v, _, _ := op.quantized(n); producers[v] != nil && producers[v].Op == OpType {
				return nil, fmt.Errorf("quant.Insert: %v already has quantizers (insert once per graph)", n)
			}
			if op.role == Weight {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
	}
	rep := &Report{}
	added := map[string]*tensor.Tensor{}
	for i, n := range targets {
		layer := modulePath(ng, n)
		lr := LayerReport{Layer: layer, Node: n.Name, Op: n.Op}
		if o.skipped(layer) {
			lr.Skipped = true
			rep.Layers = append(rep.Layers, lr)
			continue
		}
		plan := o.plan(layer, o.FirstLast8Bit && (i == first || i == last))
		acts := 0
		for _, op := range operandsOf(ng, n, producers) {
			suffix := "wq"
			if op.role == Activation {
				suffix = []string{"aq", "bq"}[min(acts, 1)]
				acts++
			}
			ins, err := insertOne(ng, n, op, layer, suffix, plan, o, sign, shapes, added)
			if err != nil {
				return nil, fmt.Errorf("quant.Insert: layer %q (%v) input %d: %w", layer, n, op.input, err)
			}
			lr.Quantizers = append(lr.Quantizers, ins)
		}
		rep.Layers = append(rep.Layers, lr)
	}
	if err := ng.TopoSort(); err != nil {
		return nil, fmt.Errorf("quant.Insert: %w", err)
	}
	if inputShapes != nil {
		if _, _, err := graph.Specialize(ng, inputShapes); err != nil {
			return nil, fmt.Errorf("quant.Insert: the quantized graph does not run: %w", err)
		}
	}
	for name, t := range added {
		g.Params[name] = t
	}
	g.Nodes = ng.Nodes
	return rep, nil
}

// insertOne adds the FakeQuant node of one operand of n to ng.
func insertOne(ng *graph.Graph, n *graph.Node, op operand, layer, suffix string, plan layerPlan, o Options,
	sign *signedness, shapes map[string][]int, added map[string]*tensor.Tensor) (Inserted, error) {
	value, reader, input := op.quantized(n)
	p := Placement{Layer: layer, Name: layer + "." + suffix, Algo: plan.walgo, Options: o.WOptions,
		Spec: Spec{Role: op.role, Signed: true, Bits: plan.wbits, Granularity: o.WGranularity}}
	if op.role == Activation {
		p.Algo, p.Options = plan.aalgo, o.AOptions
		p.Spec = Spec{Role: op.role, Signed: !sign.nonNegative(value), Bits: plan.abits, Granularity: o.AGranularity}
	}
	q, err := New(p.Algo, p.Spec, p.Options)
	if err != nil {
		return Inserted{}, err
	}
	p.Spec = q.Spec()
	switch p.Spec.Granularity {
	case PerChannel:
		p.Spec.Axis = op.chAxis
	case PerBlock:
		p.Spec.Axis = op.rdAxis
	}
	if _, isParam := ng.Params[value]; !isParam && shapes != nil {
		p.Shape = shapes[value]
	}
	site, err := attach(ng, value, []*graph.Node{reader}, input, p, added)
	if err != nil {
		return Inserted{}, err
	}
	return Inserted{Node: site.Node.Name, Input: op.input, Value: value, Algo: p.Algo, Spec: site.Quantizer.Spec(), Params: site.StateParams()}, nil
}

// operandsOf lists the inputs of a Conv, Gemm or MatMul to quantize. A
// masked weight (mask.go) is a weight operand like a bare parameter.
func operandsOf(g *graph.Graph, n *graph.Node, producers map[string]*graph.Node) []operand {
	masks := map[int]*graph.Node{}
	weight := func(i int) string {
		if mul, w, ok := maskedWeight(g, producers, n.Input(i)); ok {
			masks[i] = mul
			return w
		}
		return n.Input(i)
	}
	isParam := func(i int) bool {
		t, ok := g.Params[weight(i)]
		return ok && t.DType().IsFloat()
	}
	rank := func(i int) int { return g.Params[weight(i)].Rank() }
	ops := operandsOfKind(n, isParam, rank)
	for k := range ops {
		if ops[k].role == Weight {
			ops[k].mask = masks[ops[k].input]
		}
	}
	return ops
}

// operandsOfKind lays out the operands given which inputs are weights.
func operandsOfKind(n *graph.Node, isParam func(int) bool, rank func(int) int) []operand {
	act := func(i, axis int) operand { return operand{input: i, role: Activation, chAxis: axis, rdAxis: axis} }
	switch n.Op {
	case "Conv":
		ops := []operand{act(0, 1)}
		if isParam(1) {
			ops = append(ops, operand{input: 1, role: Weight, chAxis: 0, rdAxis: 1})
		} else {
			ops = append(ops, operand{input: 1, role: Activation, chAxis: 0, rdAxis: 1})
		}
		return ops
	case "Gemm":
		ta, tb := attrInt(n, "transA"), attrInt(n, "transB")
		var ops []operand
		if isParam(0) {
			ops = append(ops, operand{input: 0, role: Weight, chAxis: ta, rdAxis: 1 - ta})
		} else {
			ops = append(ops, act(0, 1-ta))
		}
		if isParam(1) {
			ops = append(ops, operand{input: 1, role: Weight, chAxis: 1 - tb, rdAxis: tb})
		} else {
			ops = append(ops, act(1, tb))
		}
		return ops
	case "MatMul":
		var ops []operand
		for i, ax := range [2][2]int{{-2, -1}, {-1, -2}} { // (channel, reduction) axes of A and B
			switch {
			case isParam(i) && rank(i) >= 2:
				ops = append(ops, operand{input: i, role: Weight, chAxis: ax[0] + rank(i), rdAxis: ax[1] + rank(i)})
			case isParam(i):
				ops = append(ops, operand{input: i, role: Weight})
			default:
				ops = append(ops, act(i, ax[1]))
			}
		}
		return ops
	}
	return nil
}

func attrInt(n *graph.Node, name string) int {
	if a, ok := n.Attrs[name]; ok && a.Kind == graph.AttrInt && a.Int != 0 {
		return 1
	}
	return 0
}

// modulePath names a layer: its weight parameter without ".weight" (both
// zoo graphs and PyTorch ONNX exports name initializers by module path),
// else its node name with "/" turned into "." ("/blocks.0/attn/MatMul" →
// "blocks.0.attn.MatMul").
func modulePath(g *graph.Graph, n *graph.Node) string {
	var producers map[string]*graph.Node
	for _, in := range n.Inputs {
		if _, ok := g.Params[in]; !ok && in != "" { // a masked weight names the layer too
			if producers == nil {
				producers = g.Producers()
			}
			if _, w, masked := maskedWeight(g, producers, in); masked {
				in = w
			}
		}
		if _, ok := g.Params[in]; ok && strings.HasSuffix(in, ".weight") {
			return strings.TrimSuffix(in, ".weight")
		}
	}
	if p := strings.Trim(strings.ReplaceAll(n.Name, "/", "."), "."); p != "" {
		return p
	}
	return n.Op
}

// resolve fills defaults and checks every option.
func (o Options) resolve() (Options, error) {
	if o.WBits == 0 {
		o.WBits = 8
	}
	if o.ABits == 0 {
		o.ABits = 8
	}
	if o.WAlgo == "" {
		o.WAlgo = DefaultWAlgo
	}
	if o.AAlgo == "" {
		o.AAlgo = DefaultAAlgo
	}
	check := func(what string, bits int, algo string) error {
		if bits != 0 && (bits < MinBits || bits > MaxBits) {
			return fmt.Errorf("%s bits must be in %d..%d, got %d", what, MinBits, MaxBits, bits)
		}
		if _, ok := Lookup(algo); algo != "" && !ok {
			return fmt.Errorf("%s algorithm %q is not registered (registered: %s)", what, algo, strings.Join(Algorithms(), ", "))
		}
		return nil
	}
	if err := check("weight", o.WBits, o.WAlgo); err != nil {
		return o, err
	}
	if err := check("activation", o.ABits, o.AAlgo); err != nil {
		return o, err
	}
	for _, pat := range o.Skip {
		if _, err := path.Match(pat, ""); err != nil {
			return o, fmt.Errorf("skip pattern %q: %w", pat, err)
		}
	}
	for i, ov := range o.Overrides {
		if ov.Match == "" {
			return o, fmt.Errorf("override %d has no match pattern", i)
		}
		if _, err := path.Match(ov.Match, ""); err != nil {
			return o, fmt.Errorf("override %d pattern %q: %w", i, ov.Match, err)
		}
		if err := check(fmt.Sprintf("override %q weight", ov.Match), ov.WBits, ov.WAlgo); err != nil {
			return o, err
		}
		if err := check(fmt.Sprintf("override %q activation", ov.Match), ov.ABits, ov.AAlgo); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (o Options) skipped(layer string) bool {
	return slices.ContainsFunc(o.Skip, func(p string) bool { ok, _ := path.Match(p, layer); return ok })
}

// plan applies defaults, the first/last rule and overrides to one layer.
func (o Options) plan(layer string, firstLast bool) layerPlan {
	p := layerPlan{wbits: o.WBits, abits: o.ABits, walgo: o.WAlgo, aalgo: o.AAlgo}
	if firstLast {
		p.wbits, p.abits = 8, 8
	}
	for _, ov := range o.Overrides {
		if ok, _ := path.Match(ov.Match, layer); !ok {
			continue
		}
		if ov.WBits != 0 {
			p.wbits = ov.WBits
		}
		if ov.ABits != 0 {
			p.abits = ov.ABits
		}
		if ov.WAlgo != "" {
			p.walgo = ov.WAlgo
		}
		if ov.AAlgo != "" {
			p.aalgo = ov.AAlgo
		}
	}
	return p
}

// batchOneShapes infers every value's shape for a batch of one (unknown
// input dimensions set to 1); nil if the graph's input shapes are unknown
// or inference fails.
func batchOneShapes(g *graph.Graph) (map[string][]int, map[string][]int) {
	in := map[string][]int{}
	for _, v := range g.Inputs {
		if v.Shape == nil {
			return nil, nil
		}
		s := slices.Clone(v.Shape)
		for i, d := range s {
			if d < 0 {
				s[i] = 1
			}
		}
		in[v.Name] = s
	}
	_, types, err := graph.Specialize(g, in)
	if err != nil {
		return nil, nil
	}
	out := make(map[string][]int, len(types))
	for k, v := range types {
		out[k] = v.Shape
	}
	return out, in
}
