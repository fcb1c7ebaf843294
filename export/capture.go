package export

import (
	"fmt"
	"path"
	"strconv"

	"t2c/graph"
	"t2c/tensor"
)

// roleRef is one (layer, role) a value is written for.
type roleRef struct {
	l    *layer
	role string
}

// sampleWriter writes the tensors of one sample while the program runs:
// each value is written when it is computed, and only the operands of
// pending GEMMs are kept.
type sampleWriter struct {
	e      *exporter
	root   string
	sample int
	files  []map[string][]string // per layer: role → files
	tiles  bool                  // write the GEMM tiles of this sample
	done   map[roleRef]bool
	held   map[string]*tensor.Tensor // GEMM operands not yet consumed
	uses   map[string]int            // pending GEMMs reading each held value
	err    error
}

// writeSample runs the program on sample s's inputs and writes its
// tensors (and, if tiles, the GEMM tiles) under root. It returns, per
// layer, the files of each role.
func (e *exporter) writeSample(root string, s int, inputs map[string]*tensor.Tensor, tiles bool) ([]map[string][]string, error) {
	w := &sampleWriter{e: e, root: root, sample: s, tiles: tiles, done: map[roleRef]bool{}, held: map[string]*tensor.Tensor{}, uses: map[string]int{}}
	for _, l := range e.layers {
		if l.gemm != nil {
			w.uses[l.roles[RoleX1]]++
			w.uses[l.roles[RoleX2]]++
		}
	}
	w.files = make([]map[string][]string, len(e.layers))
	for i := range w.files {
		w.files[i] = map[string][]string{}
	}
	for name, t := range inputs {
		w.observe(name, t)
	}
	for name, t := range e.g.Params {
		if len(e.consumers[name]) > 0 {
			w.observe(name, t)
		}
	}
	if _, err := e.prog.RunObserved(inputs, func(_ *graph.Node, out string, t *tensor.Tensor) { w.observe(out, t) }); err != nil {
		return nil, fmt.Errorf("sample %d: %w", s, err)
	}
	if w.err != nil {
		return nil, fmt.Errorf("sample %d: %w", s, w.err)
	}
	for _, l := range e.layers {
		for _, role := range l.order {
			if !w.done[roleRef{l, role}] {
				return nil, fmt.Errorf("sample %d: layer %q: value %q of role %s was never computed", s, l.name, l.roles[role], role)
			}
		}
	}
	return w.files, nil
}

// observe writes every (layer, role) file of value name and runs the
// GEMMs whose accumulator it is.
func (w *sampleWriter) observe(name string, t *tensor.Tensor) {
	if w.err != nil {
		return
	}
	if w.uses[name] > 0 && w.held[name] == nil {
		if w.e.g.Params[name] == nil {
			t = t.Clone() // the program recycles its buffers
		}
		w.held[name] = t
	}
	for i, l := range w.e.layers {
		for _, role := range l.order {
			if l.roles[role] != name || w.done[roleRef{l, role}] {
				continue
			}
			w.done[roleRef{l, role}] = true
			stem := path.Join("tensors", strconv.Itoa(w.sample), l.stem+"."+role)
			files, err := WriteTensor(w.root, stem, t, w.e.word(name), w.e.opts.tensorFormats())
			if err != nil {
				w.err = fmt.Errorf("layer %q, %s: %w", l.name, role, err)
				return
			}
			w.files[i][role] = files
		}
		if l.gemm != nil && l.roles[RoleAcc] == name {
			if err := w.gemm(i, l, t); err != nil {
				w.err = fmt.Errorf("layer %q: %w", l.name, err)
				return
			}
		}
	}
}

// gemm writes the xcol of an IntConv layer and, for the tile sample, the
// layer's tiles.
func (w *sampleWriter) gemm(i int, l *layer, acc *tensor.Tensor) error {
	x1, x2 := w.held[l.roles[RoleX1]], w.held[l.roles[RoleX2]]
	if x1 == nil || x2 == nil {
		return fmt.Errorf("operands of %v were not computed before its accumulator", l.op)
	}
	for _, name := range []string{l.roles[RoleX1], l.roles[RoleX2]} {
		if w.uses[name]--; w.uses[name] == 0 {
			delete(w.held, name)
		}
	}
	a, b, c, err := l.gemm.matrices(x1, x2, acc)
	if err != nil {
		return err
	}
	g := l.gemm.info
	if l.op.Op == opIntConv {
		flat := make([]int64, 0, g.Groups*g.K*g.N)
		for _, m := range b {
			flat = append(flat, m...)
		}
		xcol := fromInts(x1.DType(), []int{g.Groups, g.K, g.N}, flat)
		stem := path.Join("tensors", strconv.Itoa(w.sample), l.stem+"."+RoleXCol)
		files, err := WriteTensor(w.root, stem, xcol, g.BWord, w.e.opts.tensorFormats())
		if err != nil {
			return fmt.Errorf("%s: %w", RoleXCol, err)
		}
		w.files[i][RoleXCol] = files
	}
	if !w.tiles || w.e.opts.PE == 0 {
		return nil
	}
	return w.e.writeTiles(w.root, l, a, b, c)
}

// writeTiles writes tiles/<stem>.{w,x,acc}.hex for the layer's GEMM.
func (e *exporter) writeTiles(root string, l *layer, a, b, c [][]int64) error {
	g, p := l.gemm.info, e.opts.PE
	var at, bt, ct []int64
	for gi := range g.Groups {
		at = append(at, tileMatrix(a[gi], g.M, g.K, p, g.AZeroPoint)...)
		bt = append(bt, tileMatrix(b[gi], g.K, g.N, p, g.BZeroPoint)...)
		ct = append(ct, tileMatrix(c[gi], g.M, g.N, p, 0)...)
	}
	for _, f := range []struct {
		role string
		v    []int64
		w    Word
	}{{"w", at, g.AWord}, {"x", bt, g.BWord}, {"acc", ct, Word{Bits: 32, Signed: true}}} {
		t := tensor.New([]int{len(f.v)}, f.v)
		if _, err := WriteTensor(root, path.Join("tiles", l.stem+"."+f.role), t, f.w, []string{FormatHex}); err != nil {
			return fmt.Errorf("tiles: %w", err)
		}
	}
	return nil
}
