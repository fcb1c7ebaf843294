package ptq

import (
	"fmt"
	"strings"

	"t2c/quant"
)

// Report is what Run did and measured.
type Report struct {
	// Placement is the quantizer placement (quant.Insert's report).
	Placement *quant.Report `json:"-"`
	// Smooth lists what SmoothQuant rescaled, if it ran.
	Smooth *quant.SmoothReport `json:"smoothquant,omitempty"`
	// CalibImages is the size of the calibration set; CalibSeconds the
	// time spent smoothing, observing and reconstructing (not measuring).
	CalibImages  int     `json:"calib_images"`
	CalibSeconds float64 `json:"calib_seconds"`
	// Iters is the reconstruction iterations per block (0: observers
	// only) and ReconInput what blocks saw (InputQuant, InputFloat).
	Iters      int    `json:"iters"`
	ReconInput string `json:"recon_input,omitempty"`
	// Layers has one entry per quantized layer, in graph order.
	Layers []LayerStats `json:"layers"`
	// Blocks has one entry per reconstruction block (iters > 0).
	Blocks []BlockStats `json:"blocks,omitempty"`
}

// LayerStats is the error of one quantized layer's output in the
// fake-quantized model against the float model on the calibration set:
// errors of earlier layers included, as the network sees them. "Before" is
// after observer calibration, "after" after reconstruction (equal without
// it). WBit is 0 for layers without a weight (attention's matmuls).
type LayerStats struct {
	Name         string  `json:"name"`
	Op           string  `json:"op"`
	WBit         int     `json:"wbit"`
	ABit         int     `json:"abit"`
	WQType       string  `json:"wqtype,omitempty"`
	XQType       string  `json:"xqtype,omitempty"`
	MSEBefore    float64 `json:"mse_before"`
	MSEAfter     float64 `json:"mse_after"`
	SQNRBeforeDB float64 `json:"sqnr_before_db"`
	SQNRAfterDB  float64 `json:"sqnr_after_db"`
}

// newLayerStats fills the format columns of a layer from its placement.
func newLayerStats(l quant.LayerReport) LayerStats {
	s := LayerStats{Name: l.Layer, Op: l.Op}
	for _, q := range l.Quantizers {
		if q.Spec.Role == quant.Weight {
			s.WBit, s.WQType = q.Spec.Bits, q.Algo
		} else if s.ABit == 0 {
			s.ABit, s.XQType = q.Spec.Bits, q.Algo
		}
	}
	return s
}

// Table renders the per-layer errors (and the per-block reconstruction
// when there was one) as aligned text.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s %-7s %5s %12s %12s %12s %12s\n", "layer", "op", "W/A", "MSE before", "MSE after", "SQNR before", "SQNR after")
	for _, l := range r.Layers {
		fmt.Fprintf(&b, "%-30s %-7s %5s %12.4g %12.4g %9.2f dB %9.2f dB\n", l.Name, l.Op, fmt.Sprintf("%d/%d", l.WBit, l.ABit),
			l.MSEBefore, l.MSEAfter, l.SQNRBeforeDB, l.SQNRAfterDB)
	}
	if len(r.Blocks) > 0 {
		fmt.Fprintf(&b, "\n%-30s %-9s %12s %12s %12s %12s %10s %7s\n", "block (local)", "kind", "MSE before", "MSE after", "SQNR before", "SQNR after", "loss", "sec")
		for _, s := range r.Blocks {
			if s.Iters == 0 {
				fmt.Fprintf(&b, "%-30s %-9s %s\n", s.Name, s.Kind, s.Note)
				continue
			}
			fmt.Fprintf(&b, "%-30s %-9s %12.4g %12.4g %9.2f dB %9.2f dB %10.4g %7.1f %s\n", s.Name, s.Kind,
				s.MSEBefore, s.MSEAfter, s.SQNRBeforeDB, s.SQNRAfterDB, s.Loss, s.Seconds, s.Note)
		}
	}
	return b.String()
}
