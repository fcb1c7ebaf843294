package fuse

import (
	"fmt"
	"testing"

	"t2c/quant"
)

// TestBitWidths converts the Fashion CNN at unusual widths (2–16 bits,
// weights and activations differing): the integer model reproduces the
// fake-quant codes whatever the width, up to float32 rounding of the
// fake-quant model.
func TestBitWidths(t *testing.T) {
	calib := fashionImages(t, 0, 128, 64)
	test := fashionImages(t, 128, 128, 128)
	for _, wa := range [][2]int{{2, 2}, {3, 5}, {6, 7}, {8, 16}, {12, 10}} {
		t.Run(fmt.Sprintf("W%dA%d", wa[0], wa[1]), func(t *testing.T) {
			g := quantized(t, fashionCNN, quant.Options{WBits: wa[0], ABits: wa[1]}, calib)
			m, err := NewModel(g, Options{})
			if err != nil {
				t.Fatal(err)
			}
			agree, _ := agreement(t, g, m, test)
			if agree < 0.99 {
				t.Errorf("agreement %.4f", agree)
			}
			// Above 8 bits a code is so fine that the fake-quant model's
			// own float32 rounding (≈ 10⁻⁷ relative) moves values across
			// code boundaries: there the integer model is the exact one.
			flips := 0.001
			if max(wa[0], wa[1]) > 8 {
				flips = 0.05
			}
			checkActivations(t, g, m, test[0], flips)
		})
	}
}
