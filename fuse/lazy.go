package fuse

// Affine bookkeeping of pending accumulators.

import (
	"fmt"
	"math"
)

// addConst folds constant k into the pending bias when k is a scalar or
// one value per channel of the accumulator.
func (l *lazyValue) addConst(vals []float64, shape, outShape []int) error {
	if len(vals) != 1 {
		if !perChannel(shape, outShape, l.axis) {
			return fmt.Errorf("constant of shape %v is not one value per channel", shape)
		}
		l.expand(len(vals))
	}
	for i := range l.beta {
		l.beta[i] += vals[min(i, len(vals)-1)]
	}
	l.rebound()
	return nil
}

// perChannel reports whether a constant of shape cs broadcast against an
// output of shape out varies only along axis.
func perChannel(cs, out []int, axis int) bool {
	off := len(out) - len(cs)
	if off < 0 {
		return false
	}
	n := 1
	for i, d := range cs {
		if d == 1 {
			continue
		}
		if i+off != axis || d != out[axis] {
			return false
		}
		n *= d
	}
	return n == out[axis]
}

// clone copies a lazy value so that folding into it leaves other users of
// the original untouched.
func (l *lazyValue) clone() *lazyValue {
	m := *l
	m.alpha = append([]float64(nil), l.alpha...)
	m.beta = append([]float64(nil), l.beta...)
	m.accBound = append([]float64(nil), l.accBound...)
	m.cache = nil
	return &m
}

// expand turns a per-tensor affine map into one per channel.
func (l *lazyValue) expand(ch int) {
	if len(l.alpha) == ch {
		return
	}
	a, b, ab := l.alpha[0], l.beta[0], l.accBound[0]
	l.alpha, l.beta, l.accBound = make([]float64, ch), make([]float64, ch), make([]float64, ch)
	for k := range ch {
		l.alpha[k], l.beta[k], l.accBound[k] = a, b, ab
	}
}

// rebound recomputes the bound of a pending accumulator.
func (l *lazyValue) rebound() {
	l.bound = 0
	for k := range l.alpha {
		l.bound = math.Max(l.bound, math.Abs(l.alpha[k])*l.accBound[k]+math.Abs(l.beta[k]))
	}
}
