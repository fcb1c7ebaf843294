package ptq

import (
	"fmt"
	"time"

	"t2c/graph"
	"t2c/internal/progress"
	"t2c/quant"
	"t2c/tensor"
)

// Run quantizes the float graph g in place with post-training quantization
// on the calibration batches (images of the single graph input, the model's
// preprocessing applied):
//
//  1. SmoothQuant, if asked, rescales g from the batches' activation maxima;
//  2. quant.Insert places the quantizers (every option is checked first);
//  3. every quantizer observes the batches flowing through the float model
//     (no gradients): running ranges, MSE searches, LSQ and AdaRound
//     initialisation;
//  4. with Iters > 0, each block (Blocks) in graph order is reconstructed:
//     its float output and its input (Options.ReconInput) are cached on the
//     calibration set, then its learnable quantizer parameters are
//     optimised for Iters steps (see BlockStats);
//  5. every quantized layer's output error against the float model is
//     measured before and after step 4.
//
// Afterwards every quantizer is in auto mode: inference runs the integer
// path, training (QAT) the training path. Run replaces nodes and adds
// parameters but never modifies a weight tensor in place, so a g.Clone()
// taken before is still the float model.
func Run(g *graph.Graph, calib []*tensor.Tensor, o Options) (*Report, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("ptq: %w", err)
	}
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("ptq: the model has %d inputs; calibration feeds one", len(g.Inputs))
	}
	if len(calib) == 0 {
		return nil, fmt.Errorf("ptq: no calibration data")
	}
	rep := &Report{Iters: o.Iters}
	for _, x := range calib {
		rep.CalibImages += x.Dim(0)
	}
	if o.Iters > 0 {
		rep.ReconInput = o.ReconInput
	}
	start := time.Now()
	var measured time.Duration
	if o.Smooth {
		var feeds []map[string]*tensor.Tensor
		for _, x := range calib {
			feeds = append(feeds, map[string]*tensor.Tensor{g.Inputs[0].Name: x})
		}
		st, err := quant.CollectActStats(g, feeds...)
		if err != nil {
			return nil, fmt.Errorf("ptq: SmoothQuant statistics: %w", err)
		}
		if rep.Smooth, err = quant.SmoothQuant(g, st, quant.SmoothOptions{Alpha: o.SmoothAlpha}); err != nil {
			return nil, fmt.Errorf("ptq: %w", err)
		}
		progress.Logf("smoothquant (α %g): %d activations smoothed", o.SmoothAlpha, len(rep.Smooth.Smoothed))
	}
	ins, err := quant.Insert(g, o.Quant)
	if err != nil {
		return nil, fmt.Errorf("ptq: %w", err)
	}
	rep.Placement = ins
	if err := quant.Calibrate(g, calib...); err != nil {
		return nil, fmt.Errorf("ptq: observing: %w", err)
	}
	layers, values, err := layerOutputs(g, ins)
	if err != nil {
		return nil, err
	}
	t := time.Now()
	before, err := layerErrors(g, values, calib)
	if err != nil {
		return nil, fmt.Errorf("ptq: measuring: %w", err)
	}
	measured += time.Since(t)
	after := before
	if o.Iters > 0 {
		blocks, err := Blocks(g)
		if err != nil {
			return nil, err
		}
		progress.Logf("reconstruction: %d blocks, %d iterations each, batch %d, %s lr %g, λ %g, %s input",
			len(blocks), o.Iters, o.BatchSize, o.Optim, o.LR, o.Lambda, o.ReconInput)
		for k := range blocks {
			st, err := reconstruct(g, blocks, k, calib, o)
			if err != nil {
				return nil, err
			}
			rep.Blocks = append(rep.Blocks, st)
			if st.Iters > 0 {
				progress.Logf("  %-28s MSE %.4g → %.4g  SQNR %.2f → %.2f dB  (%.1fs) %s", st.Name, st.MSEBefore, st.MSEAfter,
					st.SQNRBeforeDB, st.SQNRAfterDB, st.Seconds, st.Note)
			}
		}
		t := time.Now()
		if after, err = layerErrors(g, values, calib); err != nil {
			return nil, fmt.Errorf("ptq: measuring: %w", err)
		}
		measured += time.Since(t)
	}
	for i, l := range layers {
		s := newLayerStats(l)
		s.MSEBefore, s.SQNRBeforeDB = before[i].MSE(), before[i].SQNR()
		s.MSEAfter, s.SQNRAfterDB = after[i].MSE(), after[i].SQNR()
		rep.Layers = append(rep.Layers, s)
	}
	rep.CalibSeconds = (time.Since(start) - measured).Seconds()
	return rep, nil
}
