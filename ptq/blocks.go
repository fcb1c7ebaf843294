package ptq

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

// Block kinds.
const (
	KindLayer     = "layer"     // one Conv, Gemm or MatMul (CNNs; layers outside transformer blocks)
	KindAttention = "attention" // a transformer block's attention: blocks.i.attn + norm1
	KindMLP       = "mlp"       // a transformer block's MLP: blocks.i.mlp + norm2
)

// Block is one unit of reconstruction: nodes of the quantized graph
// between the block's input activations and its output value.
//
// Layers outside transformer blocks are reconstructed one by one (layer
// wise, as AdaRound and Torch2Chip do for CNNs): the block is the layer,
// its quantizers and the BatchNormalization that alone reads its output,
// so that the error is measured where the next layer sees it. Quantized
// layers whose module path runs through "<i>.attn" (or "attention") or
// "<i>.mlp" (or "ffn") are grouped block-wise with the block's pre-norm
// ("<i>.norm1" / "<i>.norm2"): timm's blocks.i.attn + norm1 and
// blocks.i.mlp + norm2, recognised by module path in node names, so zoo
// graphs and PyTorch ONNX exports ("/blocks/blocks.0/attn/...") both work.
type Block struct {
	Name   string   // "layer1.0.conv1", "blocks.0.attn"
	Kind   string   // KindLayer, KindAttention or KindMLP
	Layers []string // quantized layers (module paths), graph order
	// Nodes are g's nodes in the block in graph order, quantizers
	// included, plus the constant and shape computations they read.
	Nodes []*graph.Node
	// Quantizers are the block's FakeQuant nodes.
	Quantizers []*graph.Node
	// Inputs are the float activations the block reads from the rest of
	// the graph; Output is the value it produces for it.
	Inputs []string
	Output string
}

// Blocks splits the quantized graph g into reconstruction blocks, in
// graph order. Every FakeQuant node belongs to exactly one block.
func Blocks(g *graph.Graph) ([]*Block, error) {
	sites, err := quant.Sites(g)
	if err != nil {
		return nil, err
	}
	types, err := batchOneTypes(g)
	if err != nil {
		return nil, fmt.Errorf("ptq: typing the graph: %w", err)
	}
	type group struct {
		name, kind, norm string
		sites            []*quant.Site
	}
	var groups []*group
	byName := map[string]*group{}
	for _, s := range sites {
		name, kind, norm := blockOf(s.Layer)
		if kind == "" {
			name, kind = s.Layer, KindLayer
		}
		gr := byName[name]
		if gr == nil {
			gr = &group{name: name, kind: kind, norm: norm}
			byName[name] = gr
			groups = append(groups, gr)
		}
		gr.sites = append(gr.sites, s)
	}
	producers, consumers := g.Producers(), g.Consumers()
	var out []*Block
	for _, gr := range groups {
		var b *Block
		var err error
		if gr.kind == KindLayer {
			b, err = layerBlock(g, gr.name, gr.sites, consumers, producers, types)
		} else {
			b, err = namedBlock(g, gr.name, gr.kind, gr.norm, gr.sites, consumers, producers, types)
			if err != nil { // fall back to layer-wise reconstruction
				var sub []*Block
				if sub, err = splitLayers(g, gr.sites, consumers, producers, types); err == nil {
					out = append(out, sub...)
					continue
				}
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// blockOf recognises a transformer block in a module path:
// "blocks.3.attn.qkv" → ("blocks.3.attn", attention, "blocks.3.norm1").
func blockOf(layer string) (name, kind, norm string) {
	seg := strings.Split(layer, ".")
	for i := 1; i < len(seg); i++ {
		if _, err := strconv.Atoi(seg[i-1]); err != nil {
			continue
		}
		var n string
		switch seg[i] {
		case "attn", "attention":
			kind, n = KindAttention, "norm1"
		case "mlp", "ffn":
			kind, n = KindMLP, "norm2"
		default:
			continue
		}
		start := max(0, i-2)
		return strings.Join(seg[start:i+1], "."), kind, strings.Join(append(slices.Clone(seg[start:i]), n), ".")
	}
	return "", "", ""
}

// modulePathOf turns a node name into a dotted module path
// ("/blocks/blocks.0/attn/Shape" → "blocks.blocks.0.attn.Shape").
func modulePathOf(name string) string {
	return strings.Trim(strings.ReplaceAll(name, "/", "."), ".")
}

// under reports whether a dotted path runs through the dotted key.
func under(path, key string) bool {
	return strings.Contains("."+path+".", "."+key+".")
}

// namedBlock gathers a transformer block by module path.
func namedBlock(g *graph.Graph, name, kind, norm string, sites []*quant.Site, consumers map[string][]*graph.Node,
	producers map[string]*graph.Node, types graph.Typed) (*Block, error) {
	set := map[*graph.Node]bool{}
	for _, s := range sites {
		set[s.Node] = true
	}
	for _, n := range g.Nodes {
		p := modulePathOf(n.Name)
		if under(p, name) || under(p, norm) {
			set[n] = true
		}
	}
	return finish(g, name, kind, sites, set, consumers, producers, types)
}

// layerBlock is one layer with its quantizers and a BatchNormalization
// that alone reads its output.
func layerBlock(g *graph.Graph, name string, sites []*quant.Site, consumers map[string][]*graph.Node,
	producers map[string]*graph.Node, types graph.Typed) (*Block, error) {
	set := map[*graph.Node]bool{}
	var layer *graph.Node
	for _, s := range sites {
		set[s.Node] = true
		for _, c := range consumers[s.Node.Outputs[0]] {
			if maskOf(g, c, s.Node.Outputs[0]) { // a pruned weight: the layer reads the mask's output
				set[c] = true
				for _, l := range consumers[c.Outputs[0]] {
					layer, set[l] = l, true
				}
				continue
			}
			if c.Op != quant.OpType {
				layer = c
				set[c] = true
			}
		}
	}
	if layer == nil {
		return nil, fmt.Errorf("ptq: layer %q: no node reads its quantizers", name)
	}
	if out := layer.Outputs[0]; !isGraphOutput(g, out) {
		if cs := consumers[out]; len(cs) == 1 && cs[0].Op == "BatchNormalization" && cs[0].Input(0) == out {
			set[cs[0]] = true
		}
	}
	return finish(g, name, KindLayer, sites, set, consumers, producers, types)
}

// splitLayers makes one layer block per layer of the sites.
func splitLayers(g *graph.Graph, sites []*quant.Site, consumers map[string][]*graph.Node,
	producers map[string]*graph.Node, types graph.Typed) ([]*Block, error) {
	var order []string
	by := map[string][]*quant.Site{}
	for _, s := range sites {
		if by[s.Layer] == nil {
			order = append(order, s.Layer)
		}
		by[s.Layer] = append(by[s.Layer], s)
	}
	var out []*Block
	for _, l := range order {
		b, err := layerBlock(g, l, by[l], consumers, producers, types)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// finish closes a node set over constant and non-float computations it
// reads (so that only float activations cross its boundary), then finds
// its inputs and its single output.
func finish(g *graph.Graph, name, kind string, sites []*quant.Site, set map[*graph.Node]bool,
	consumers map[string][]*graph.Node, producers map[string]*graph.Node, types graph.Typed) (*Block, error) {
	isFloatAct := func(v string) bool {
		_, param := g.Params[v]
		return !param && types[v].DType == tensor.Float32
	}
	memo := map[*graph.Node]bool{}
	for changed := true; changed; {
		changed = false
		for n := range set {
			for _, in := range n.Inputs {
				p := producers[in]
				if in == "" || p == nil || set[p] || (isFloatAct(in) && !constant(p, producers, g, memo)) {
					continue
				}
				set[p], changed = true, true
			}
		}
	}
	b := &Block{Name: name, Kind: kind}
	for _, s := range sites {
		b.Quantizers = append(b.Quantizers, s.Node)
		if !slices.Contains(b.Layers, s.Layer) {
			b.Layers = append(b.Layers, s.Layer)
		}
	}
	produced := map[string]bool{}
	for _, n := range g.Nodes {
		if !set[n] {
			continue
		}
		b.Nodes = append(b.Nodes, n)
		for _, o := range n.Outputs {
			produced[o] = true
		}
	}
	var outs []string
	for _, n := range b.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !produced[in] && !slices.Contains(b.Inputs, in) {
				if _, param := g.Params[in]; param {
					continue
				}
				if !isFloatAct(in) {
					return nil, fmt.Errorf("ptq: block %q reads %q, a %v value from outside", name, in, types[in].DType)
				}
				b.Inputs = append(b.Inputs, in)
			}
		}
		for _, o := range n.Outputs {
			if o == "" || !isFloatAct(o) {
				continue
			}
			external := isGraphOutput(g, o)
			for _, c := range consumers[o] {
				external = external || !set[c]
			}
			if external {
				outs = append(outs, o)
			}
		}
	}
	switch {
	case len(outs) != 1:
		return nil, fmt.Errorf("ptq: block %q has %d outputs %v, want one", name, len(outs), outs)
	case len(b.Inputs) == 0:
		return nil, fmt.Errorf("ptq: block %q reads no activation", name)
	}
	b.Output = outs[0]
	return b, nil
}

// constant reports whether a node's value depends on parameters and
// constants only (memoised in memo).
func constant(n *graph.Node, producers map[string]*graph.Node, g *graph.Graph, memo map[*graph.Node]bool) bool {
	if c, ok := memo[n]; ok {
		return c
	}
	memo[n] = false // cycles are impossible in a sorted graph; this only bounds the recursion
	for _, in := range n.Inputs {
		if in == "" {
			continue
		}
		if _, param := g.Params[in]; param {
			continue
		}
		p := producers[in]
		if p == nil || !constant(p, producers, g, memo) {
			return false
		}
	}
	memo[n] = true
	return true
}

func isGraphOutput(g *graph.Graph, v string) bool {
	return slices.ContainsFunc(g.Outputs, func(o graph.ValueInfo) bool { return o.Name == v })
}

// batchOneTypes types every value of g for a batch of one.
func batchOneTypes(g *graph.Graph) (graph.Typed, error) {
	in := map[string][]int{}
	for _, v := range g.Inputs {
		s := slices.Clone(v.Shape)
		for i, d := range s {
			if d < 0 {
				s[i] = 1
			}
		}
		in[v.Name] = s
	}
	// Specialize folds constants away; type the unfolded values too.
	vars := map[string]bool{}
	for name, t := range g.Params {
		vars[name] = t.DType().IsFloat()
	}
	_, types, err := graph.SpecializeWith(g, in, graph.SpecializeOptions{Variables: vars})
	return types, err
}
