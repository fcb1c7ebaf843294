package prune

import "math"

// Schedule is the gradual pruning schedule of Zhu & Gupta ("To prune, or
// not to prune", 2017): the sparsity rises from Initial at step Start to
// Final at step End along a cubic,
//
//	s(t) = Final + (Initial − Final)·(1 − (t − Start)/(End − Start))³,
//
// fast at first, when there are many redundant weights, and slowly near
// the end. Steps count optimiser updates completed (0 = before training).
// Masks are updated every Frequency steps from Start and at End.
type Schedule struct {
	Start, End     int
	Frequency      int
	Initial, Final float64 // sparsities (fractions of zeros)
}

// At is the target sparsity after t steps: Initial before Start, Final
// from End on.
func (s Schedule) At(t int) float64 {
	switch {
	case t <= s.Start:
		return s.Initial
	case t >= s.End:
		return s.Final
	}
	r := 1 - float64(t-s.Start)/float64(s.End-s.Start)
	return s.Final + (s.Initial-s.Final)*r*r*r
}

// Due reports whether the masks are updated after t steps.
func (s Schedule) Due(t int) bool {
	if t < s.Start || t > s.End {
		return false
	}
	return t == s.End || (s.Frequency > 0 && (t-s.Start)%s.Frequency == 0)
}

// cosineFraction is RigL's decaying regrow fraction f/2·(1 + cos(πt/end)).
func cosineFraction(f float64, t, end int) float64 {
	if end <= 0 || t >= end {
		return 0
	}
	return f / 2 * (1 + math.Cos(math.Pi*float64(t)/float64(end)))
}
