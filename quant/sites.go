package quant

import (
	"fmt"
	"slices"
	"strings"

	"t2c/graph"
	"t2c/tensor"
)

// Site is one FakeQuant node of a graph with its algorithm resolved: what
// the PTQ engine and the converter work with.
type Site struct {
	Graph     *graph.Graph
	Node      *graph.Node
	Algo      string    // registered algorithm name
	Layer     string    // module path of the quantized layer ("layer1.0.conv1")
	Mode      Mode      // the node's mode attribute
	Quantizer Quantizer // built from the node's attributes
	names     []string  // state name of each input after x
	learnable []string  // state names that are learned
}

// Nodes returns the graph's FakeQuant nodes in order.
func Nodes(g *graph.Graph) []*graph.Node { return g.Find(OpType) }

// Sites resolves every FakeQuant node of g, in order.
func Sites(g *graph.Graph) ([]*Site, error) {
	var out []*Site
	for _, n := range Nodes(g) {
		s, err := SiteOf(g, n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// SiteOf resolves one FakeQuant node of g.
func SiteOf(g *graph.Graph, n *graph.Node) (*Site, error) {
	if n.Op != OpType {
		return nil, fmt.Errorf("%v is not a %s node", n, OpType)
	}
	k, err := graph.Build(n, g.Opset)
	if err != nil {
		return nil, err
	}
	s := &Site{Graph: g, Node: n, Quantizer: k.(*kernel).q, Mode: k.(*kernel).mode,
		Algo: n.Attrs[attrAlgo].String, Layer: n.Attrs[attrLayer].String}
	s.names = n.Attrs[attrParams].Strings
	s.learnable = n.Attrs[attrLearnable].Strings
	if s.names == nil {
		s.names = []string{"scale", "zero_point"}
	}
	return s, nil
}

// Role is whether the site quantizes a weight or an activation.
func (s *Site) Role() Role { return s.Quantizer.Spec().Role }

// Input is the name of the quantized value (a weight parameter or an
// activation).
func (s *Site) Input() string { return s.Node.Inputs[0] }

// Param returns the graph parameter holding the named state ("scale",
// "zero_point", "alpha", "min" ...), or "" if the quantizer has none.
func (s *Site) Param(state string) string {
	i := slices.Index(s.names, state)
	if i < 0 || 1+i >= len(s.Node.Inputs) {
		return ""
	}
	return s.Node.Inputs[1+i]
}

// Learnable lists the graph parameters the quantizer learns by gradient
// descent (LSQ's scale, AdaRound's alpha).
func (s *Site) Learnable() []string {
	var out []string
	for _, name := range s.learnable {
		if p := s.Param(name); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// StateParams lists every graph parameter of the site's state.
func (s *Site) StateParams() []string {
	var out []string
	for _, in := range s.Node.Inputs[1:] {
		if in != "" {
			out = append(out, in)
		}
	}
	return out
}

// State returns the site's state tensors (the graph's own).
func (s *Site) State() (State, error) {
	var ts []*tensor.Tensor
	for _, in := range s.Node.Inputs[1:] {
		if in == "" {
			ts = append(ts, nil)
			continue
		}
		t, ok := s.Graph.Params[in]
		if !ok {
			return State{}, fmt.Errorf("%v: state %q is not a graph parameter", s.Node, in)
		}
		ts = append(ts, t)
	}
	var st State
	if len(ts) > 0 {
		st.Scale = ts[0]
	}
	if len(ts) > 1 {
		st.ZeroPoint = ts[1]
	}
	if len(ts) > 2 {
		st.Extra = ts[2:]
	}
	return st, nil
}

// operand returns x, or the weight parameter when x is nil.
func (s *Site) operand(x *tensor.Tensor) *tensor.Tensor {
	if x == nil {
		return s.Graph.Params[s.Input()]
	}
	return x
}

// QParams returns the site's integer parameters. x is the operand; for a
// weight it may be nil (the weight parameter is used), for dynamic
// activation quantizers (per-token, MXINT) it is required.
func (s *Site) QParams(x *tensor.Tensor) (*QParams, error) {
	st, err := s.State()
	if err != nil {
		return nil, err
	}
	p, err := s.Quantizer.QParams(s.operand(x), st)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", s.Node, err)
	}
	return p, nil
}

// Integer returns x's integers (x nil: the weight parameter's) and the
// parameters they are on: QParams.Quantize, or the quantizer's own
// integers when it implements Integerizer (AdaRound's learned rounding).
func (s *Site) Integer(x *tensor.Tensor) (*tensor.Tensor, *QParams, error) {
	x = s.operand(x)
	if x == nil {
		return nil, nil, fmt.Errorf("%v: no operand given and %q is not a parameter", s.Node, s.Input())
	}
	p, err := s.QParams(x)
	if err != nil {
		return nil, nil, err
	}
	if iq, ok := s.Quantizer.(Integerizer); ok {
		st, err := s.State()
		if err != nil {
			return nil, nil, err
		}
		q, err := iq.Integer(x, st)
		return q, p, err
	}
	q, err := p.Quantize(x)
	return q, p, err
}

// SetMode sets the mode of the given FakeQuant nodes, or of all of them
// when none are given. Programs and sessions compiled before keep the old
// mode: compile again (graph.NewSession, autodiff.Compile) after switching.
func SetMode(g *graph.Graph, m Mode, nodes ...*graph.Node) error {
	if !m.valid() {
		return fmt.Errorf("unknown quantizer mode %q", m)
	}
	if len(nodes) == 0 {
		nodes = Nodes(g)
	}
	for _, n := range nodes {
		if n.Op != OpType {
			return fmt.Errorf("%v is not a %s node", n, OpType)
		}
	}
	for _, n := range nodes {
		if n.Attrs == nil {
			n.Attrs = map[string]graph.Attr{}
		}
		n.Attrs[attrMode] = graph.StringAttr(string(m))
	}
	return nil
}

// ModeOf returns a FakeQuant node's mode.
func ModeOf(n *graph.Node) Mode {
	if a, ok := n.Attrs[attrMode]; ok {
		return Mode(a.String)
	}
	return ModeAuto
}

// Learnable lists the learned quantizer parameters (LSQ scales, AdaRound
// α ...) of the given FakeQuant nodes, or of all when none are given.
func Learnable(g *graph.Graph, nodes ...*graph.Node) ([]string, error) {
	if len(nodes) == 0 {
		nodes = Nodes(g)
	}
	var out []string
	for _, n := range nodes {
		s, err := SiteOf(g, n)
		if err != nil {
			return nil, err
		}
		out = append(out, s.Learnable()...)
	}
	return out, nil
}

// Trainable adapts a parameter filter (autodiff.Options.Trainable,
// train.Trainer.Trainable; nil means every float parameter) to quantized
// graphs: quantizer state is trainable only when the quantizer learns it,
// so optimisers (and their weight decay) never touch observer statistics
// or min-max scales.
func Trainable(g *graph.Graph, base func(string) bool) func(string) bool {
	state, learn := map[string]bool{}, map[string]bool{}
	for _, n := range Nodes(g) {
		s, err := SiteOf(g, n)
		if err != nil {
			continue // an unbuildable node fails at compile time anyway
		}
		for _, p := range s.StateParams() {
			state[p] = true
		}
		for _, p := range s.Learnable() {
			learn[p] = true
		}
	}
	return func(name string) bool {
		if state[name] {
			return learn[name]
		}
		return base == nil || base(name)
	}
}

// SitesUnder returns the sites of layers at or below a module path: "fc"
// selects fc's quantizers, "blocks.0" every quantizer of the first
// transformer block (blocks.0.attn.qkv, blocks.0.mlp.fc1 ...).
func SitesUnder(g *graph.Graph, prefix string) ([]*Site, error) {
	all, err := Sites(g)
	if err != nil {
		return nil, err
	}
	var out []*Site
	for _, s := range all {
		if s.Layer == prefix || strings.HasPrefix(s.Layer, prefix+".") {
			out = append(out, s)
		}
	}
	return out, nil
}

// NodesOf returns the sites' FakeQuant nodes (for SetMode, Learnable,
// AdaRoundReg, NewCalibrator).
func NodesOf(sites []*Site) []*graph.Node {
	out := make([]*graph.Node, len(sites))
	for i, s := range sites {
		out[i] = s.Node
	}
	return out
}
