package ptq

import (
	"fmt"
	"math"
	"slices"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

// MaxSQNR caps the reported SQNR when the error is zero.
const MaxSQNR = 200.0

// errStat accumulates the error of an approximation ŷ of a reference y.
type errStat struct {
	signal, noise float64
	n             int
}

func (e *errStat) add(ref, approx []float32) {
	for i, y := range ref {
		d := float64(approx[i]) - float64(y)
		e.noise += d * d
		e.signal += float64(y) * float64(y)
	}
	e.n += len(ref)
}

// MSE is the mean squared error per element.
func (e errStat) MSE() float64 {
	if e.n == 0 {
		return 0
	}
	return e.noise / float64(e.n)
}

// SQNR is 10·log10(Σy² / Σ(ŷ−y)²) in dB, at most MaxSQNR.
func (e errStat) SQNR() float64 {
	if e.noise == 0 {
		return MaxSQNR
	}
	if e.signal == 0 {
		return -MaxSQNR
	}
	return math.Min(MaxSQNR, 10*math.Log10(e.signal/e.noise))
}

// layerOutputs maps each quantized layer of the placement report to the
// value its node produces.
func layerOutputs(g *graph.Graph, rep *quant.Report) ([]quant.LayerReport, []string, error) {
	byName := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		byName[n.Name] = n
	}
	var layers []quant.LayerReport
	var values []string
	for _, l := range rep.Layers {
		if l.Skipped || len(l.Quantizers) == 0 {
			continue
		}
		n := byName[l.Node]
		if n == nil || len(n.Outputs) == 0 {
			return nil, nil, fmt.Errorf("ptq: layer %q: node %q not found", l.Layer, l.Node)
		}
		layers = append(layers, l)
		values = append(values, n.Outputs[0])
	}
	return layers, values, nil
}

// layerErrors runs the float model (every quantizer in float mode) and the
// fake-quantized model (every quantizer on its inference path) side by side
// on the batches and measures the error of each value of the quantized
// model against the float one: errors accumulated through the network.
func layerErrors(g *graph.Graph, values []string, batches []*tensor.Tensor) ([]errStat, error) {
	stats := make([]errStat, len(values))
	if len(values) == 0 {
		return stats, nil
	}
	fg, err := withModes(g, allIn(quant.ModeFloat))
	if err != nil {
		return nil, err
	}
	qg, err := withModes(g, allIn(quant.ModeQuantize))
	if err != nil {
		return nil, err
	}
	var outs []graph.ValueInfo
	for _, v := range values {
		outs = append(outs, graph.ValueInfo{Name: v})
	}
	fg.Outputs, qg.Outputs = outs, slices.Clone(outs)
	fs, err := graph.NewSession(fg)
	if err != nil {
		return nil, err
	}
	qs, err := graph.NewSession(qg)
	if err != nil {
		return nil, err
	}
	in := g.Inputs[0].Name
	for _, x := range batches {
		ref, err := fs.Run(map[string]*tensor.Tensor{in: x})
		if err != nil {
			return nil, err
		}
		got, err := qs.Run(map[string]*tensor.Tensor{in: x})
		if err != nil {
			return nil, err
		}
		for i, v := range values {
			stats[i].add(ref[v].Float32(), got[v].Float32())
		}
	}
	return stats, nil
}
