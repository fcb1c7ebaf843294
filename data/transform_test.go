package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	// Two channels of 1×2: per-channel constants.
	img := []float32{0.5, 1.0, 0.0, 0.25}
	out, c, h, w := Normalize{Mean: []float32{0.5, 0.25}, Std: []float32{0.5, 0.25}}.Apply(img, 2, 1, 2, nil)
	if want := []float32{0, 1, -1, 0}; !slices.Equal(out, want) || c != 2 || h != 1 || w != 2 {
		t.Errorf("per-channel: got %v %dx%dx%d, want %v", out, c, h, w, want)
	}
	// One value for every channel, with the Fashion-MNIST constants:
	// (1 - 0.286)/0.353 = 2.0226628895, (0 - 0.286)/0.353 = -0.8101983003,
	// (0.5 - 0.286)/0.353 = 0.6062322946.
	out, _, _, _ = Normalize{Mean: []float32{0.2860}, Std: []float32{0.3530}}.Apply([]float32{1, 0, 0.5}, 3, 1, 1, nil)
	for i, want := range []float64{2.0226628895, -0.8101983003, 0.6062322946} {
		if math.Abs(float64(out[i])-want) > 1e-6 {
			t.Errorf("shared constants: out[%d] = %v, want %v", i, out[i], want)
		}
	}
	if _, _, _, err := (Normalize{Mean: []float32{0, 0, 0}, Std: []float32{1}}).OutShape(1, 28, 28); err == nil {
		t.Error("3 means on 1 channel: no error")
	}
	if _, _, _, err := (Normalize{Mean: []float32{0}, Std: []float32{0}}).OutShape(1, 28, 28); err == nil {
		t.Error("zero std: no error")
	}
}

func TestRandomCrop(t *testing.T) {
	// Channel 0 is [1 2; 3 4], channel 1 adds 10. Zero-padded by 1 it is
	//   0 0 0 0
	//   0 1 2 0
	//   0 3 4 0
	//   0 0 0 0
	// and its nine 2×2 windows (channel 0) are:
	windows := [][]float32{
		{0, 0, 0, 1}, {0, 0, 1, 2}, {0, 0, 2, 0},
		{0, 1, 0, 3}, {1, 2, 3, 4}, {2, 0, 4, 0},
		{0, 3, 0, 0}, {3, 4, 0, 0}, {4, 0, 0, 0},
	}
	rc := RandomCrop{Size: 2, Padding: 1}
	if c, h, w, err := rc.OutShape(2, 2, 2); err != nil || c != 2 || h != 2 || w != 2 {
		t.Fatalf("OutShape = %d,%d,%d,%v", c, h, w, err)
	}
	seen := make([]int, len(windows))
	for seed := range uint64(400) {
		img := []float32{1, 2, 3, 4, 11, 12, 13, 14}
		out, c, h, w := rc.Apply(img, 2, 2, 2, rand.New(rand.NewPCG(seed, 0)))
		if c != 2 || h != 2 || w != 2 || len(out) != 8 {
			t.Fatalf("shape %d,%d,%d len %d", c, h, w, len(out))
		}
		k := slices.IndexFunc(windows, func(win []float32) bool { return slices.Equal(win, out[:4]) })
		if k < 0 {
			t.Fatalf("seed %d: crop %v is not a window of the padded image", seed, out[:4])
		}
		seen[k]++
		for i, v := range out[:4] {
			want := v
			if v != 0 {
				want += 10
			}
			if out[4+i] != want {
				t.Fatalf("seed %d: channel 1 %v does not match channel 0 %v", seed, out[4:], out[:4])
			}
		}
	}
	for k, n := range seen {
		if n < 20 { // expected 400/9 ≈ 44
			t.Errorf("window %d chosen %d times in 400", k, n)
		}
	}
	// Without padding and Size = image size the crop is the identity.
	img := []float32{1, 2, 3, 4, 5, 6}
	out, _, _, _ := RandomCrop{Size: 2}.Apply(slices.Clone(img[:4]), 1, 2, 2, rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(out, img[:4]) {
		t.Errorf("identity crop: %v", out)
	}
	if _, _, _, err := (RandomCrop{Size: 5, Padding: 1}).OutShape(1, 2, 2); err == nil {
		t.Error("crop larger than padded image: no error")
	}
}

func TestRandomHFlip(t *testing.T) {
	img := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12} // 2 channels of 2×3
	rng := rand.New(rand.NewPCG(3, 4))
	out, _, _, _ := RandomHFlip{P: 1}.Apply(slices.Clone(img), 2, 2, 3, rng)
	if want := []float32{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}; !slices.Equal(out, want) {
		t.Errorf("P=1: %v, want %v", out, want)
	}
	out, _, _, _ = RandomHFlip{P: 0}.Apply(slices.Clone(img), 2, 2, 3, rng)
	if !slices.Equal(out, img) {
		t.Errorf("P=0: %v", out)
	}
	flips := 0
	for range 1000 {
		out, _, _, _ := RandomHFlip{P: 0.5}.Apply(slices.Clone(img), 2, 2, 3, rng)
		if out[0] == 3 {
			flips++
		}
	}
	if flips < 400 || flips > 600 {
		t.Errorf("P=0.5 flipped %d of 1000", flips)
	}
}
