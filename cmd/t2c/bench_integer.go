package main

import (
	"fmt"

	"t2c/fuse"
	"t2c/graph"
	"t2c/internal/progress"
	"t2c/kernels"
	"t2c/quant"
	"t2c/tensor"
	"t2c/verify"
)

// benchIntegerModel benchmarks a quantized model (a t2c ptq/qat
// checkpoint) three ways on the same random input: the float model (its
// quantizers disabled), the fake-quant model, and the integer golden
// runtime of its conversion.
func benchIntegerModel(g *graph.Graph, o benchOptions) error {
	if len(quant.Nodes(g)) == 0 {
		return fmt.Errorf("%s has no quantizers: --integer benchmarks a quantized checkpoint (t2c ptq or qat)", o.model)
	}
	_, shape, err := benchInput(g, o.batch)
	if err != nil {
		return fmt.Errorf("%s: %w", o.model, err)
	}
	x := randomNormal(shape, 1)
	fq := g.Clone()
	if err := quant.SetMode(fq, quant.ModeQuantize); err != nil {
		return err
	}
	float := g.Clone()
	if err := quant.SetMode(float, quant.ModeFloat); err != nil {
		return err
	}
	ranges, err := verify.Ranges(fq, []*tensor.Tensor{x})
	if err != nil {
		return err
	}
	m, err := fuse.NewModel(fq, fuse.Options{Ranges: ranges})
	if err != nil {
		return err
	}
	out := map[string]any{"model": o.model, "mode": "integer", "input_shape": shape, "batch": o.batch,
		"threads": kernels.Threads(), "warmup": o.warmup, "iters": o.iters}
	for _, r := range []struct {
		name string
		run  func(*tensor.Tensor) (*tensor.Tensor, error)
	}{{"float32", runner(float)}, {"fake-quant", runner(fq)}, {"integer", m.Run1}} {
		if r.run == nil {
			return fmt.Errorf("%s: cannot compile the %s model", o.model, r.name)
		}
		d, err := timeRuns(o.warmup, o.iters, r.name, func() error { _, err := r.run(x); return err })
		if err != nil {
			return fmt.Errorf("running the %s model of %s: %w", r.name, o.model, err)
		}
		st := summarise(d)
		ips := float64(o.batch) / st.Mean.Seconds()
		progress.Logf("%-10s latency p50 %.2f ms (min %.2f, mean %.2f); %.1f images/s", r.name, ms(st.P50), ms(st.Min), ms(st.Mean), ips)
		out[r.name+"_latency_ms_p50"] = ms(st.P50)
		out[r.name+"_images_per_second"] = ips
	}
	if o.asJSON {
		return printJSON(out)
	}
	return nil
}

// runner returns a graph's batch runner, or nil if it cannot be compiled.
func runner(g *graph.Graph) func(*tensor.Tensor) (*tensor.Tensor, error) {
	sess, err := graph.NewSession(g)
	if err != nil {
		return nil
	}
	return sess.Run1
}
