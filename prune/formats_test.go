package prune_test

import (
	"slices"
	"testing"

	"t2c/prune"
	"t2c/quant"
	"t2c/sparse"
)

// TestQuantizedPrunedWeightsCompress takes a 2:4-pruned ResNet through
// quant.Insert, reads each layer's integer weight the converter's way —
// Integer(FakeQuant(W)) ⊙ mask — and checks that every sparse format
// holds it and decodes to it bit for bit; the N:M encoder's refusal of a
// group with more than N non-zeros makes it a check of the 2:4 pattern.
func TestQuantizedPrunedWeightsCompress(t *testing.T) {
	for _, algo := range []string{"minmax_channel", "adaround"} {
		g := resnet8(t)
		p, err := prune.New(g, prune.Options{Type: prune.TypeNM, N: 2, M: 4})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Begin(); err != nil {
			t.Fatal(err)
		}
		if _, err := quant.Insert(g, quant.Options{WBits: 8, WAlgo: algo}); err != nil {
			t.Fatal(err)
		}
		sites, err := quant.Sites(g)
		if err != nil {
			t.Fatal(err)
		}
		byWeight := map[string]*quant.Site{}
		for _, s := range sites {
			if s.Role() == quant.Weight {
				byWeight[s.Input()] = s
			}
		}
		for _, l := range p.Layers() {
			s := byWeight[l.Weight]
			if s == nil {
				t.Fatalf("%s: %s has no weight quantizer", algo, l.Weight)
			}
			if algo == "adaround" { // round every weight up: only the mask keeps zeros
				for i := range g.Params[s.Param("alpha")].Float32() {
					g.Params[s.Param("alpha")].Float32()[i] = 4
				}
			}
			q, _, err := s.Integer(nil)
			if err != nil {
				t.Fatal(err)
			}
			q, err = prune.MaskedInteger(q, g.Params[l.Mask])
			if err != nil {
				t.Fatal(err)
			}
			nm, err := sparse.EncodeNM(q, l.Layout, 2, 4)
			if err != nil {
				t.Fatalf("%s %s: %v", algo, l.Name, err)
			}
			bm, err := sparse.EncodeBitmask(q, l.Layout)
			if err != nil {
				t.Fatal(err)
			}
			csr, err := sparse.EncodeCSR(q, l.Layout)
			if err != nil {
				t.Fatal(err)
			}
			for name, dec := range map[string]func() (any, error){
				"nm":      func() (any, error) { return nm.Decode() },
				"bitmask": func() (any, error) { return bm.Decode() },
				"csr":     func() (any, error) { return csr.Decode() },
			} {
				got, err := dec()
				if err != nil {
					t.Fatal(err)
				}
				back := got.(interface{ Int64s() []int64 })
				if !slices.Equal(back.Int64s(), q.Int64s()) {
					t.Fatalf("%s %s: %s decodes to other integers", algo, l.Name, name)
				}
			}
			if nm.Values.Len() != q.Len()/2 {
				t.Fatalf("%s: %d N:M values for %d weights", l.Name, nm.Values.Len(), q.Len())
			}
		}
	}
}
