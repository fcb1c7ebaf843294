package quant

import (
	"fmt"
	"math"
	"path"
	"slices"

	"t2c/graph"
	"t2c/tensor"
)

// SmoothQuant (Xiao et al., ICML 2023) migrates activation outliers into
// the weights: for each input channel j of a linear layer,
//
//	f_j = max|X_j|^α / max|W_j|^(1−α),  X' = X/f,  W' = W·f,
//
// which leaves the layer's output unchanged. SmoothQuant (the pass) applies
// it to a float graph using statistics from CollectActStats; the algorithm
// "smoothquant" then quantizes weights per output channel and activations
// per token with min-max ranges (Torch2Chip's smooth_channel/smooth_token).

func init() { Register("smoothquant", newSmoothQuant) }

func newSmoothQuant(s Spec, a *graph.Attrs) (Quantizer, error) {
	if s.Role == Weight {
		return minmaxFactory("smoothquant", PerChannel, PerTensor)(s, a)
	}
	return newMinMaxToken(s, a)
}

// smoothable is a layer whose activation input can be smoothed: Gemm
// (transA=0) or MatMul with a 2-D weight parameter as right operand, or an
// ungrouped Conv with a weight parameter.
type smoothable struct {
	node   *graph.Node
	layer  string
	weight string
	act    string
	xAxis  int // channel axis of the activation (-1: last)
	wAxis  int // input-channel axis of the weight
}

func smoothableLayer(g *graph.Graph, n *graph.Node) (smoothable, bool) {
	w, ok := g.Params[n.Input(1)]
	if !ok || !w.DType().IsFloat() {
		return smoothable{}, false
	}
	if _, isParam := g.Params[n.Input(0)]; isParam {
		return smoothable{}, false
	}
	s := smoothable{node: n, layer: modulePath(g, n), weight: n.Input(1), act: n.Input(0), xAxis: -1}
	switch n.Op {
	case "Gemm":
		if attrInt(n, "transA") != 0 || w.Rank() != 2 {
			return s, false
		}
		s.wAxis = attrInt(n, "transB")
	case "MatMul":
		if w.Rank() != 2 {
			return s, false
		}
		s.wAxis = 0
	case "Conv":
		if a, ok := n.Attrs["group"]; ok && a.Int != 1 {
			return s, false
		}
		s.xAxis, s.wAxis = 1, 1
	default:
		return s, false
	}
	return s, true
}

// ActStats holds, per activation value feeding a smoothable layer, the
// maximum |x| of every input channel over the observed batches.
type ActStats struct {
	Max  map[string][]float32
	axis map[string]int
}

// CollectActStats runs the float graph g on the batches (keyed by graph
// input name) and records max|x| per input channel of every smoothable
// layer's activation.
func CollectActStats(g *graph.Graph, batches ...map[string]*tensor.Tensor) (*ActStats, error) {
	st := &ActStats{Max: map[string][]float32{}, axis: map[string]int{}}
	for _, n := range g.Nodes {
		if s, ok := smoothableLayer(g, n); ok {
			if _, seen := st.axis[s.act]; !seen {
				st.axis[s.act] = s.xAxis
			}
		}
	}
	sess, err := graph.NewSession(g)
	if err != nil {
		return nil, err
	}
	for _, b := range batches {
		p, err := sess.Program(shapesOf(b))
		if err != nil {
			return nil, err
		}
		for name, x := range b {
			if err := st.add(name, x); err != nil {
				return nil, err
			}
		}
		var obsErr error
		_, err = p.RunObserved(b, func(_ *graph.Node, out string, t *tensor.Tensor) {
			if e := st.add(out, t); e != nil && obsErr == nil {
				obsErr = e
			}
		})
		if err == nil {
			err = obsErr
		}
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}

func shapesOf(b map[string]*tensor.Tensor) map[string][]int {
	m := map[string][]int{}
	for k, v := range b {
		m[k] = v.Shape()
	}
	return m
}

// add folds one observed value into the statistics if it is tracked.
func (st *ActStats) add(name string, t *tensor.Tensor) error {
	axis, ok := st.axis[name]
	if !ok || t.DType() != tensor.Float32 {
		return nil
	}
	ax, err := normAxis(axis, t.Rank())
	if err != nil {
		return fmt.Errorf("activation %q: %w", name, err)
	}
	outer, c, inner := tensor.SplitAxis(t.Shape(), ax)
	m := st.Max[name]
	if m == nil {
		m = make([]float32, c)
		st.Max[name] = m
	}
	if len(m) != c {
		return fmt.Errorf("activation %q has %d channels, earlier batches had %d", name, c, len(m))
	}
	xs := t.Float32()
	for o := 0; o < outer; o++ {
		for j := 0; j < c; j++ {
			base := (o*c + j) * inner
			for _, v := range xs[base : base+inner] {
				m[j] = max(m[j], float32(math.Abs(float64(v))))
			}
		}
	}
	return nil
}

// SmoothOptions configures SmoothQuant.
type SmoothOptions struct {
	Alpha float64  // migration strength in [0, 1]; 0 means the default 0.5
	Match []string // path.Match globs of layers to smooth; empty: all
	// FoldOnly smooths only activations whose producer absorbs 1/f
	// (LayerNormalization read by nothing else); without it the others
	// get an explicit Mul node by 1/f.
	FoldOnly bool
}

// SmoothReport lists what SmoothQuant changed, per smoothed activation.
type SmoothReport struct {
	Smoothed []SmoothedValue
}

// SmoothedValue is one smoothed activation and the layers reading it.
type SmoothedValue struct {
	Value      string   // the activation
	Layers     []string // layers whose weights were scaled by f
	FoldedInto string   // producer node that absorbed 1/f, or ""
	MulNode    string   // the inserted Mul node, or ""
	MinF, MaxF float32  // range of the factors f
}

// SmoothQuant rescales g in place (before Insert): for every activation
// with statistics in st feeding smoothable layers matched by o.Match, the
// factors f are computed with max|W_j| taken over all those layers, their
// weights become W·f and the activation becomes X/f, folded into a
// preceding LayerNormalization's scale and bias when it feeds only these
// layers, else through a new Mul node. Parameters are replaced by new
// tensors, never modified in place.
func SmoothQuant(g *graph.Graph, st *ActStats, o SmoothOptions) (*SmoothReport, error) {
	if o.Alpha == 0 {
		o.Alpha = 0.5
	}
	if !(o.Alpha >= 0 && o.Alpha <= 1) {
		return nil, fmt.Errorf("quant.SmoothQuant: alpha must be in [0, 1], got %g", o.Alpha)
	}
	if len(Nodes(g)) > 0 {
		return nil, fmt.Errorf("quant.SmoothQuant: graph already has quantizers; smooth the float graph, then Insert")
	}
	for _, p := range o.Match {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("quant.SmoothQuant: pattern %q: %w", p, err)
		}
	}
	groups := map[string][]smoothable{}
	var order []string
	for _, n := range g.Nodes {
		s, ok := smoothableLayer(g, n)
		if !ok || st.Max[s.act] == nil || st.axis[s.act] != s.xAxis || !o.matches(s.layer) {
			continue
		}
		if groups[s.act] == nil {
			order = append(order, s.act)
		}
		groups[s.act] = append(groups[s.act], s)
	}
	rep := &SmoothReport{}
	consumers, producers := g.Consumers(), g.Producers()
	for _, v := range order {
		layers := groups[v]
		xmax := st.Max[v]
		fold := foldTarget(g, producers[v], consumers[v], layers, len(xmax))
		if fold == nil && o.FoldOnly {
			continue
		}
		f, err := smoothFactors(g, layers, xmax, o.Alpha)
		if err != nil {
			return nil, fmt.Errorf("quant.SmoothQuant: activation %q: %w", v, err)
		}
		sv := SmoothedValue{Value: v, MinF: slices.Min(f), MaxF: slices.Max(f)}
		for _, s := range layers {
			g.Params[s.weight] = scaleAxis(g.Params[s.weight], s.wAxis, f, false)
			sv.Layers = append(sv.Layers, s.layer)
		}
		if fold != nil {
			for _, in := range fold.Inputs[1:min(3, len(fold.Inputs))] {
				if in != "" {
					g.Params[in] = scaleAxis(g.Params[in], 0, f, true)
				}
			}
			sv.FoldedInto = fold.Name
		} else {
			sv.MulNode = insertSmoothMul(g, v, layers, f)
		}
		rep.Smoothed = append(rep.Smoothed, sv)
	}
	if err := g.TopoSort(); err != nil {
		return nil, fmt.Errorf("quant.SmoothQuant: %w", err)
	}
	return rep, nil
}

func (o SmoothOptions) matches(layer string) bool {
	if len(o.Match) == 0 {
		return true
	}
	return slices.ContainsFunc(o.Match, func(p string) bool { ok, _ := path.Match(p, layer); return ok })
}

// smoothFactors computes f_j = max|X_j|^α / max|W_j|^(1−α) (1 where either
// maximum is 0), at least 1e-5.
func smoothFactors(g *graph.Graph, layers []smoothable, xmax []float32, alpha float64) ([]float32, error) {
	wmax := make([]float32, len(xmax))
	for _, s := range layers {
		w := g.Params[s.weight]
		outer, c, inner := tensor.SplitAxis(w.Shape(), s.wAxis)
		if c != len(xmax) {
			return nil, fmt.Errorf("layer %q weight has %d input channels, the activation %d", s.layer, c, len(xmax))
		}
		ws := w.Float32()
		for o := 0; o < outer; o++ {
			for j := 0; j < c; j++ {
				base := (o*c + j) * inner
				for _, v := range ws[base : base+inner] {
					wmax[j] = max(wmax[j], float32(math.Abs(float64(v))))
				}
			}
		}
	}
	f := make([]float32, len(xmax))
	for j := range f {
		f[j] = 1
		if xmax[j] > 0 && wmax[j] > 0 {
			f[j] = float32(max(math.Pow(float64(xmax[j]), alpha)/math.Pow(float64(wmax[j]), 1-alpha), 1e-5))
		}
	}
	return f, nil
}

// foldTarget returns the LayerNormalization producing v if it can absorb
// 1/f: it normalises the last axis with per-channel scale (and bias)
// parameters used nowhere else, and only the smoothed layers read v.
func foldTarget(g *graph.Graph, p *graph.Node, readers []*graph.Node, layers []smoothable, c int) *graph.Node {
	if p == nil || p.Op != "LayerNormalization" || layers[0].xAxis != -1 || len(readers) != len(layers) {
		return nil
	}
	if a, ok := p.Attrs["axis"]; ok && a.Int != -1 {
		return nil
	}
	for _, r := range readers {
		if !slices.ContainsFunc(layers, func(s smoothable) bool { return s.node == r }) {
			return nil
		}
	}
	consumers := g.Consumers()
	for _, in := range p.Inputs[1:min(3, len(p.Inputs))] {
		t, ok := g.Params[in]
		if in != "" && (!ok || t.Len() != c || len(consumers[in]) != 1) {
			return nil
		}
	}
	if p.Input(1) == "" {
		return nil
	}
	return p
}

// scaleAxis returns t with slice j along axis multiplied (or divided) by f[j].
func scaleAxis(t *tensor.Tensor, axis int, f []float32, divide bool) *tensor.Tensor {
	out := t.Clone()
	outer, c, inner := tensor.SplitAxis(t.Shape(), axis)
	os := out.Float32()
	for o := 0; o < outer; o++ {
		for j := 0; j < c; j++ {
			base := (o*c + j) * inner
			for i := base; i < base+inner; i++ {
				if divide {
					os[i] /= f[j]
				} else {
					os[i] *= f[j]
				}
			}
		}
	}
	return out
}

// insertSmoothMul adds v' = v · (1/f) before the smoothed layers.
func insertSmoothMul(g *graph.Graph, v string, layers []smoothable, f []float32) string {
	name := g.FreshName(layers[0].layer + ".smooth")
	shape := []int{len(f)}
	if layers[0].xAxis == 1 {
		shape = []int{len(f), 1, 1}
	}
	inv := tensor.Zeros(tensor.Float32, shape...)
	for j, x := range f {
		inv.Float32()[j] = 1 / x
	}
	pname := g.FreshName(name + ".inv_factor")
	g.Params[pname] = inv
	mul := &graph.Node{Name: name, Op: "Mul", Inputs: []string{v, pname}, Outputs: []string{name}}
	g.InsertBefore(layers[0].node, mul)
	for _, s := range layers {
		s.node.Inputs[0] = name
	}
	return name
}
