package ptq

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"t2c/autodiff"
	"t2c/graph"
	"t2c/internal/progress"
	"t2c/quant"
	"t2c/tensor"
	"t2c/train"
)

// BlockStats reports the reconstruction of one block. Errors are the
// block's output with its quantizers on the inference path (hard
// rounding) against the cached float output, given the reconstruction
// input, before and after optimisation. If optimisation raised the error
// (AdaRound's soft rounding not yet settled after few iterations, say),
// the block keeps its initial parameters and Note says so. Loss, RecLoss and Reg average the
// last tenth of the iterations: Loss = RecLoss + λ·Reg, RecLoss the squared
// error summed per sample and averaged over the mini-batch (BRECQ's
// scaling, against which λ = 0.01 is tuned), Reg AdaRound's rounding
// regulariser Σ 1 − |2h(α) − 1|^β (0 while it is off).
type BlockStats struct {
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	Layers       []string `json:"layers"`
	Output       string   `json:"output"`
	Learned      int      `json:"learned_params"` // elements trained
	Iters        int      `json:"iters"`
	MSEBefore    float64  `json:"mse_before"`
	MSEAfter     float64  `json:"mse_after"`
	SQNRBeforeDB float64  `json:"sqnr_before_db"`
	SQNRAfterDB  float64  `json:"sqnr_after_db"`
	Loss         float64  `json:"loss"`
	RecLoss      float64  `json:"rec_loss"`
	Reg          float64  `json:"reg"`
	// HardRounding is the mean |2h(α) − 1| of the block's AdaRound
	// variables: 1 when every soft rounding has settled on 0 or 1.
	HardRounding float64 `json:"hard_rounding,omitempty"`
	Seconds      float64 `json:"seconds"`
	Note         string  `json:"note,omitempty"`
}

// reconstruct optimises the learnable quantizer parameters of blocks[k]
// on the calibration batches.
func reconstruct(g *graph.Graph, blocks []*Block, k int, calib []*tensor.Tensor, o Options) (BlockStats, error) {
	start := time.Now()
	b := blocks[k]
	st := BlockStats{Name: b.Name, Kind: b.Kind, Layers: b.Layers, Output: b.Output}
	learn, err := quant.Learnable(g, b.Quantizers...)
	if err != nil {
		return st, err
	}
	if len(learn) == 0 {
		st.Note = "no learnable quantizer parameters"
		return st, nil
	}
	for _, p := range learn {
		st.Learned += g.Params[p].Len()
	}
	x, y, err := blockCache(g, blocks, k, calib, o.ReconInput)
	if err != nil {
		return st, fmt.Errorf("ptq: block %q: caching its data: %w", b.Name, err)
	}
	before, err := blockError(g, b, x, y, o.BatchSize)
	if err != nil {
		return st, fmt.Errorf("ptq: block %q: %w", b.Name, err)
	}
	initial := map[string]*tensor.Tensor{}
	for _, p := range learn {
		initial[p] = g.Params[p].Clone()
	}
	if err := optimise(g, b, k, learn, x, y, o, &st); err != nil {
		return st, fmt.Errorf("ptq: block %q: %w", b.Name, err)
	}
	after, err := blockError(g, b, x, y, o.BatchSize)
	if err != nil {
		return st, fmt.Errorf("ptq: block %q: %w", b.Name, err)
	}
	if after.MSE() > before.MSE() {
		st.Note = fmt.Sprintf("kept the initial parameters: reconstruction raised the error to %.4g", after.MSE())
		for p, t := range initial {
			if err := g.Params[p].CopyFrom(t); err != nil {
				return st, err
			}
		}
		after = before
	}
	st.Iters = o.Iters
	st.MSEBefore, st.MSEAfter = before.MSE(), after.MSE()
	st.SQNRBeforeDB, st.SQNRAfterDB = before.SQNR(), after.SQNR()
	st.HardRounding = hardness(g, b)
	st.Seconds = time.Since(start).Seconds()
	return st, nil
}

// blockCache returns the block's reconstruction inputs and its float
// output on the calibration set. The float output comes from the model
// with every quantizer off; the inputs too (InputFloat), or from the model
// whose earlier blocks are quantized (InputQuant).
func blockCache(g *graph.Graph, blocks []*Block, k int, calib []*tensor.Tensor, input string) ([]*cached, *cached, error) {
	b := blocks[k]
	fg, err := withModes(g, allIn(quant.ModeFloat))
	if err != nil {
		return nil, nil, err
	}
	if input == InputFloat {
		vals, err := collect(fg, calib, append(slices.Clone(b.Inputs), b.Output))
		if err != nil {
			return nil, nil, err
		}
		return vals[:len(b.Inputs)], vals[len(b.Inputs)], nil
	}
	ys, err := collect(fg, calib, []string{b.Output})
	if err != nil {
		return nil, nil, err
	}
	prior := map[*graph.Node]bool{}
	for _, pb := range blocks[:k] {
		for _, n := range pb.Quantizers {
			prior[n] = true
		}
	}
	qg, err := withModes(g, func(n *graph.Node) quant.Mode {
		if prior[n] {
			return quant.ModeQuantize
		}
		return quant.ModeFloat
	})
	if err != nil {
		return nil, nil, err
	}
	xs, err := collect(qg, calib, b.Inputs)
	if err != nil {
		return nil, nil, err
	}
	return xs, ys[0], nil
}

// blockError measures the block on its inference path over the cache.
func blockError(g *graph.Graph, b *Block, x []*cached, y *cached, batch int) (errStat, error) {
	var e errStat
	sub, err := subgraph(g, b, quant.ModeQuantize, x)
	if err != nil {
		return e, err
	}
	sess, err := graph.NewSession(sub)
	if err != nil {
		return e, err
	}
	for lo := 0; lo < y.n; lo += batch {
		hi := min(y.n, lo+batch)
		in := map[string]*tensor.Tensor{}
		for i, name := range b.Inputs {
			in[name] = x[i].slice(lo, hi)
		}
		out, err := sess.Run(in)
		if err != nil {
			return e, err
		}
		ref, got := y.slice(lo, hi).Float32(), out[b.Output].Float32()
		if len(ref) != len(got) {
			return e, fmt.Errorf("block output has %d values for %d samples, the cache %d", len(got), hi-lo, len(ref))
		}
		e.add(ref, got)
	}
	return e, nil
}

// optimise runs the reconstruction iterations of block b: random
// mini-batches of the cache, loss = squared error (summed per sample,
// averaged over the batch) + λ·AdaRound regulariser with annealed β,
// Adam or SGD on exactly the block's learnable parameters with a cosine
// learning rate.
func optimise(g *graph.Graph, b *Block, k int, learn []string, x []*cached, y *cached, o Options, st *BlockStats) error {
	n := y.n
	bs := min(o.BatchSize, n)
	learnSet := map[string]bool{}
	for _, p := range learn {
		learnSet[p] = true
	}
	scales, err := learnedScales(g, b, learnSet)
	if err != nil {
		return err
	}
	sub, err := subgraph(g, b, quant.ModeTrain, x)
	if err != nil {
		return err
	}
	shapes := map[string][]int{}
	xb := map[string]*tensor.Tensor{}
	for i, name := range b.Inputs {
		shapes[name] = x[i].shape(bs)
		xb[name] = tensor.Zeros(tensor.Float32, shapes[name]...)
	}
	yb := tensor.Zeros(tensor.Float32, y.shape(bs)...)
	prog, err := autodiff.Compile(sub, shapes, autodiff.Options{Trainable: func(name string) bool { return learnSet[name] }})
	if err != nil {
		return err
	}
	opt, sopt := newOptimizer(o.Optim), newOptimizer(o.Optim)
	sched, ssched := train.Cosine{Base: o.LR, Total: float64(o.Iters)}, train.Cosine{Base: o.LR, Total: float64(o.Iters)}
	if o.ScaleLR > 0 {
		ssched.Base = o.ScaleLR
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(k)+1))
	ctx := &graph.Ctx{Rand: rng}
	perm, pos := rng.Perm(n), 0
	idx := make([]int, bs)
	tail := max(1, o.Iters/10)
	bar := progress.New(o.Iters, "recon "+b.Name)
	defer bar.Done()
	for it := 0; it < o.Iters; it++ {
		for i := range idx {
			if pos == n {
				perm, pos = rng.Perm(n), 0
			}
			idx[i] = perm[pos]
			pos++
		}
		for i, name := range b.Inputs {
			x[i].gather(xb[name], idx)
		}
		y.gather(yb, idx)
		tape, err := prog.Forward(ctx, xb)
		if err != nil {
			return err
		}
		out := tape.Output(0)
		if out.Len() != yb.Len() {
			return fmt.Errorf("block output has shape %v, the cached output %v", out.Shape(), yb.Shape())
		}
		dOut := tensor.Zeros(tensor.Float32, out.Shape()...)
		rec := 0.0
		do, of, yf := dOut.Float32(), out.Float32(), yb.Float32()
		for i := range of {
			d := of[i] - yf[i]
			rec += float64(d) * float64(d)
			do[i] = 2 * d / float32(bs)
		}
		rec /= float64(bs)
		grads, err := tape.Backward(dOut)
		if err != nil {
			return err
		}
		reg := 0.0
		if beta, on := o.Beta.At(it, o.Iters); on && o.Lambda > 0 {
			r, dr, err := quant.AdaRoundReg(g, beta, b.Quantizers...)
			if err != nil {
				return err
			}
			reg = r
			for name, d := range dr {
				if learnSet[name] {
					grads[name] = axpy(grads[name], d, o.Lambda)
				}
			}
		}
		gw, gs := autodiff.Grads{}, autodiff.Grads{}
		for name, d := range grads {
			if scales[name] {
				gs[name] = d
			} else {
				gw[name] = d
			}
		}
		if err := opt.Step(g.Params, gw, sched.LR(float64(it))); err != nil {
			return err
		}
		if err := sopt.Step(g.Params, gs, ssched.LR(float64(it))); err != nil {
			return err
		}
		for name := range scales {
			clampScale(g.Params[name])
		}
		loss := rec + o.Lambda*reg
		if it >= o.Iters-tail {
			st.RecLoss += rec / float64(tail)
			st.Reg += reg / float64(tail)
			st.Loss += loss / float64(tail)
		}
		bar.Add(1, fmt.Sprintf("recon %s loss %.4g", b.Name, loss))
	}
	return nil
}

// learnedScales are the block's learnable parameters that are scales.
func learnedScales(g *graph.Graph, b *Block, learn map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	for _, n := range b.Quantizers {
		s, err := quant.SiteOf(g, n)
		if err != nil {
			return nil, err
		}
		if p := s.Param("scale"); p != "" && learn[p] {
			out[p] = true
		}
	}
	return out, nil
}

func newOptimizer(name string) train.Optimizer {
	if name == "sgd" {
		return &train.SGD{Momentum: 0.9}
	}
	return train.NewAdam(0, false)
}

// minScale is the smallest scale a quantizer holds (2⁻²³).
const minScale = 1.0 / (1 << 23)

func clampScale(t *tensor.Tensor) {
	for i, s := range t.Float32() {
		if !(s >= minScale) {
			t.Float32()[i] = minScale
		}
	}
}

// axpy returns a + λ·d as a new tensor (a may be shared).
func axpy(a, d *tensor.Tensor, lambda float64) *tensor.Tensor {
	out := tensor.Zeros(tensor.Float32, d.Shape()...)
	o, ds := out.Float32(), d.Float32()
	var as []float32
	if a != nil {
		as = a.Float32()
	}
	for i := range o {
		o[i] = float32(lambda) * ds[i]
		if as != nil {
			o[i] += as[i]
		}
	}
	return out
}

// hardness is the mean |2h(α) − 1| over the block's AdaRound variables, or
// 0 if it has none.
func hardness(g *graph.Graph, b *Block) float64 {
	sum, n := 0.0, 0
	for _, node := range b.Quantizers {
		s, err := quant.SiteOf(g, node)
		if err != nil || s.Algo != "adaround" {
			continue
		}
		for _, a := range g.Params[s.Param("alpha")].Float32() {
			h, _ := quant.AdaRoundH(float64(a))
			sum += math.Abs(2*h - 1)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
