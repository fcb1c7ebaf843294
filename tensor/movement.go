package tensor

import "fmt"

// Transpose permutes t's dimensions: output dimension i is input dimension
// perm[i]. An empty perm reverses the dimensions.
func Transpose(t *Tensor, perm []int) (*Tensor, error) {
	r := t.Rank()
	if len(perm) == 0 {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("transpose: perm %v for rank-%d tensor", perm, r)
	}
	seen := make([]bool, r)
	shape := make([]int, r)
	for i, p := range perm {
		if p < 0 || p >= r || seen[p] {
			return nil, fmt.Errorf("transpose: perm %v is not a permutation of 0..%d", perm, r-1)
		}
		seen[p] = true
		shape[i] = t.shape[p]
	}
	in := Strides(t.shape)
	st := make([]int, r)
	for i, p := range perm {
		st[i] = in[p]
	}
	out := Zeros(t.dtype, shape...)
	s := [][]int{st}
	move(out, []*Tensor{t}, expandK[uint8](shape, s), expandK[uint16](shape, s), expandK[uint32](shape, s), expandK[uint64](shape, s))
	return out, nil
}

// Concat joins tensors of one dtype along axis; all other dimensions must agree.
func Concat(ts []*Tensor, axis int) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("concat: no inputs")
	}
	r := ts[0].Rank()
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return nil, fmt.Errorf("concat: axis out of range for rank %d", r)
	}
	shape := append([]int(nil), ts[0].shape...)
	shape[axis] = 0
	for _, t := range ts {
		if t.dtype != ts[0].dtype || t.Rank() != r {
			return nil, fmt.Errorf("concat: mixing %v and %v", ts[0], t)
		}
		for d := range r {
			if d != axis && t.shape[d] != ts[0].shape[d] {
				return nil, fmt.Errorf("concat: shapes %v and %v differ outside axis %d", ts[0].shape, t.shape, axis)
			}
		}
		shape[axis] += t.shape[axis]
	}
	out := Zeros(ts[0].dtype, shape...)
	outer := NumElems(shape[:axis])
	if outer == 0 {
		return out, nil
	}
	move(out, ts, concatK[uint8](outer, ts), concatK[uint16](outer, ts), concatK[uint32](outer, ts), concatK[uint64](outer, ts))
	return out, nil
}

func concatK[W word](outer int, ts []*Tensor) moveFunc[W] {
	return func(o []W, src [][]W) {
		pos := 0
		for i := 0; i < outer; i++ {
			for k, t := range ts {
				n := t.Len() / outer // elements of t per outer index
				copy(o[pos:pos+n], src[k][i*n:(i+1)*n])
				pos += n
			}
		}
	}
}

// Slice selects, along each listed axis, indices start, start+step, ...
// stopping before end (ONNX Slice semantics after clamping; see ops).
// starts/ends/steps are already normalised: 0 <= start < dim for positive
// steps, and the count of selected indices is computed here.
func Slice(t *Tensor, axes, starts, ends, steps []int) (*Tensor, error) {
	r := t.Rank()
	shape := append([]int(nil), t.shape...)
	begin := make([]int, r)
	step := make([]int, r)
	for i := range step {
		step[i] = 1
	}
	for k, ax := range axes {
		if ax < 0 || ax >= r {
			return nil, fmt.Errorf("slice: axis %d out of range for rank %d", ax, r)
		}
		if steps[k] == 0 {
			return nil, fmt.Errorf("slice: step 0 on axis %d", ax)
		}
		begin[ax], step[ax] = starts[k], steps[k]
		n := 0
		if steps[k] > 0 && ends[k] > starts[k] {
			n = (ends[k] - starts[k] + steps[k] - 1) / steps[k]
		} else if steps[k] < 0 && ends[k] < starts[k] {
			n = (starts[k] - ends[k] - steps[k] - 1) / -steps[k]
		}
		shape[ax] = n
	}
	in := Strides(t.shape)
	st := make([]int, r)
	base := 0
	for d := range r {
		st[d] = in[d] * step[d]
		base += begin[d] * in[d]
	}
	out := Zeros(t.dtype, shape...)
	if out.Len() == 0 {
		return out, nil
	}
	s := [][]int{st}
	move(out, []*Tensor{t}, offsetK[uint8](shape, s, base), offsetK[uint16](shape, s, base), offsetK[uint32](shape, s, base), offsetK[uint64](shape, s, base))
	return out, nil
}

// offsetK copies a strided view starting at base into a dense output.
func offsetK[W word](shape []int, st [][]int, base int) moveFunc[W] {
	return func(o []W, src [][]W) {
		x := src[0]
		ForEachRow(shape, st, func(oo int, in, step []int, n int) {
			i := base + in[0]
			for j := 0; j < n; j++ {
				o[oo+j] = x[i]
				i += step[0]
			}
		})
	}
}

// Gather picks entries of t along axis by indices (already normalised to
// [0, dim)), producing shape t.shape[:axis] + idxShape + t.shape[axis+1:].
func Gather(t *Tensor, axis int, indices []int, idxShape []int) (*Tensor, error) {
	if axis < 0 || axis >= t.Rank() {
		return nil, fmt.Errorf("gather: axis %d out of range for rank %d", axis, t.Rank())
	}
	dim := t.shape[axis]
	for _, ix := range indices {
		if ix < 0 || ix >= dim {
			return nil, fmt.Errorf("gather: index %d out of range [0,%d)", ix, dim)
		}
	}
	shape := append(append(append([]int(nil), t.shape[:axis]...), idxShape...), t.shape[axis+1:]...)
	outer := NumElems(t.shape[:axis])
	inner := NumElems(t.shape[axis+1:])
	out := Zeros(t.dtype, shape...)
	move(out, []*Tensor{t}, gatherK[uint8](outer, inner, dim, indices), gatherK[uint16](outer, inner, dim, indices), gatherK[uint32](outer, inner, dim, indices), gatherK[uint64](outer, inner, dim, indices))
	return out, nil
}

func gatherK[W word](outer, inner, dim int, indices []int) moveFunc[W] {
	return func(o []W, src [][]W) {
		x := src[0]
		pos := 0
		for i := 0; i < outer; i++ {
			for _, ix := range indices {
				start := (i*dim + ix) * inner
				copy(o[pos:pos+inner], x[start:start+inner])
				pos += inner
			}
		}
	}
}

// Tile repeats t reps[d] times along each dimension d.
func Tile(t *Tensor, reps []int) (*Tensor, error) {
	if len(reps) != t.Rank() {
		return nil, fmt.Errorf("tile: %d repeats for rank-%d tensor", len(reps), t.Rank())
	}
	shape := make([]int, t.Rank())
	for d, r := range reps {
		if r < 0 {
			return nil, fmt.Errorf("tile: negative repeat %d", r)
		}
		shape[d] = t.shape[d] * r
	}
	out := Zeros(t.dtype, shape...)
	if out.Len() == 0 {
		return out, nil
	}
	// Tiling is broadcasting of a (r0, d0, r1, d1, ...) view.
	view := make([]int, 0, 2*len(shape))
	big := make([]int, 0, 2*len(shape))
	for d, r := range reps {
		view = append(view, 1, t.shape[d])
		big = append(big, r, t.shape[d])
	}
	st := [][]int{BroadcastStrides(view, big)}
	move(out, []*Tensor{t}, expandK[uint8](big, st), expandK[uint16](big, st), expandK[uint32](big, st), expandK[uint64](big, st))
	return out, nil
}
