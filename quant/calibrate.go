package quant

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// Calibrator runs calibration batches through a graph with some
// quantizers in observe mode: each updates its statistics (and the scale
// and zero point derived from them) in place and passes its input through
// unchanged, so observed quantizers see float data; quantizers not being
// calibrated keep their modes. Weight quantizers observe their weight once
// per compiled input shape (graph.Specialize folds them). Use it from one
// goroutine; Close restores the modes.
type Calibrator struct {
	g     *graph.Graph
	modes map[*graph.Node]Mode
	sess  *graph.Session
}

// NewCalibrator puts the given FakeQuant nodes (all when none) in observe
// mode.
func NewCalibrator(g *graph.Graph, nodes ...*graph.Node) (*Calibrator, error) {
	if len(nodes) == 0 {
		nodes = Nodes(g)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("graph %q has no %s nodes to calibrate (run quant.Insert first)", g.Name, OpType)
	}
	c := &Calibrator{g: g, modes: map[*graph.Node]Mode{}}
	for _, n := range nodes {
		if n.Op == OpType {
			c.modes[n] = ModeOf(n)
		}
	}
	if err := SetMode(g, ModeObserve, nodes...); err != nil {
		return nil, err
	}
	sess, err := graph.NewSession(g)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.sess = sess
	return c, nil
}

// Run observes one batch given by graph input name.
func (c *Calibrator) Run(inputs map[string]*tensor.Tensor) error {
	_, err := c.sess.Run(inputs)
	return err
}

// Run1 observes one batch of a single-input graph.
func (c *Calibrator) Run1(x *tensor.Tensor) error {
	if len(c.g.Inputs) != 1 {
		return fmt.Errorf("graph has %d inputs; use Run", len(c.g.Inputs))
	}
	return c.Run(map[string]*tensor.Tensor{c.g.Inputs[0].Name: x})
}

// Close restores the modes the nodes had before calibration.
func (c *Calibrator) Close() {
	for n, m := range c.modes {
		n.Attrs[attrMode] = graph.StringAttr(string(m))
		if m == ModeAuto {
			delete(n.Attrs, attrMode)
		}
	}
}

// Calibrate observes the batches xs of a single-input graph with every
// quantizer in observe mode (so they all see the float model's values).
func Calibrate(g *graph.Graph, xs ...*tensor.Tensor) error {
	c, err := NewCalibrator(g)
	if err != nil {
		return err
	}
	defer c.Close()
	for i, x := range xs {
		if err := c.Run1(x); err != nil {
			return fmt.Errorf("calibration batch %d: %w", i, err)
		}
	}
	return nil
}
