package prune

// RegrowMask is one prune-and-regrow update of a layer (RigL): among the
// active weights (mask 1) it drops the k of smallest |w|, then activates
// the k positions of largest |grad| among all inactive ones — those
// inactive before and those just dropped — so the layer keeps its count.
// grad is the gradient of the loss with respect to the effective (masked)
// weight, which is what tells how much a pruned connection would help.
// Ties go to the lower position. It returns the new mask and the
// positions grown that were inactive before (their weights restart at 0).
func RegrowMask(w, grad, mask []float32, k int) (next []float32, grown []int) {
	var active, inactive []int
	for i, m := range mask {
		if m != 0 {
			active = append(active, i)
		} else {
			inactive = append(inactive, i)
		}
	}
	k = min(k, len(active), len(inactive))
	next = append([]float32(nil), mask...)
	if k <= 0 {
		return next, nil
	}
	small := make([]float32, len(active))
	for j, i := range active {
		small[j] = -float32(abs1(w[i])) // topK of −|w|: the smallest magnitudes
	}
	for _, j := range topK(small, k) {
		next[active[j]] = 0
	}
	var cand []int
	for i, m := range next {
		if m == 0 {
			cand = append(cand, i)
		}
	}
	score := make([]float32, len(cand))
	for j, i := range cand {
		score[j] = float32(abs1(grad[i]))
	}
	for _, j := range topK(score, k) {
		i := cand[j]
		next[i] = 1
		if mask[i] == 0 {
			grown = append(grown, i)
		}
	}
	return next, grown
}

func abs1(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
