package data

import (
	"fmt"
	"math/rand/v2"
)

// Transform changes one float32 CHW image. The Loader checks OutShape once
// when it is created, then calls Apply for every image.
type Transform interface {
	// OutShape returns the shape Apply produces from a c×h×w image, or an
	// error if the transform does not fit that shape.
	OutShape(c, h, w int) (c2, h2, w2 int, err error)
	// Apply transforms img (len c*h*w). It may modify img in place and
	// return it, or return a new slice. rng is the image's own random
	// stream; deterministic transforms ignore it.
	Apply(img []float32, c, h, w int, rng *rand.Rand) (out []float32, c2, h2, w2 int)
}

// Normalize computes (x - Mean[ch]) / Std[ch] per channel, as torchvision's
// Normalize (subtract, then divide, in float32). A Mean or Std of length 1
// applies to every channel.
type Normalize struct {
	Mean, Std []float32
}

// OutShape checks that Mean and Std have 1 or c entries and Std has no
// zeros; the shape is unchanged.
func (n Normalize) OutShape(c, h, w int) (int, int, int, error) {
	if (len(n.Mean) != 1 && len(n.Mean) != c) || (len(n.Std) != 1 && len(n.Std) != c) {
		return 0, 0, 0, fmt.Errorf("data: Normalize has %d means and %d stds for %d channels", len(n.Mean), len(n.Std), c)
	}
	for _, s := range n.Std {
		if s == 0 {
			return 0, 0, 0, fmt.Errorf("data: Normalize std is zero")
		}
	}
	return c, h, w, nil
}

// Apply normalizes img in place.
func (n Normalize) Apply(img []float32, c, h, w int, _ *rand.Rand) ([]float32, int, int, int) {
	plane := h * w
	for ch := range c {
		m, s := pick(n.Mean, ch), pick(n.Std, ch)
		p := img[ch*plane : (ch+1)*plane]
		for i, v := range p {
			p[i] = (v - m) / s
		}
	}
	return img, c, h, w
}

// pick returns v[i], or v[0] when v has a single entry.
func pick(v []float32, i int) float32 {
	if len(v) == 1 {
		return v[0]
	}
	return v[i]
}

// RandomCrop pads every side with Padding zeros, then cuts a Size×Size
// window at a uniformly random position, like torchvision's
// RandomCrop(Size, padding=Padding). Apply it before Normalize so the
// padding is black, as in torchvision pipelines.
type RandomCrop struct {
	Size, Padding int
}

// OutShape returns c, Size, Size if the padded image is large enough.
func (r RandomCrop) OutShape(c, h, w int) (int, int, int, error) {
	if r.Size <= 0 || r.Padding < 0 {
		return 0, 0, 0, fmt.Errorf("data: RandomCrop size %d padding %d: size must be positive and padding non-negative", r.Size, r.Padding)
	}
	if h+2*r.Padding < r.Size || w+2*r.Padding < r.Size {
		return 0, 0, 0, fmt.Errorf("data: RandomCrop %d is larger than the padded %dx%d image", r.Size, h+2*r.Padding, w+2*r.Padding)
	}
	return c, r.Size, r.Size, nil
}

// Apply draws the top offset, then the left offset (each inclusive of the
// far edge) and returns a new image.
func (r RandomCrop) Apply(img []float32, c, h, w int, rng *rand.Rand) ([]float32, int, int, int) {
	s, p := r.Size, r.Padding
	top := rng.IntN(h+2*p-s+1) - p
	left := rng.IntN(w+2*p-s+1) - p
	out := make([]float32, c*s*s)
	for ch := range c {
		for y := range s {
			sy := top + y
			if sy < 0 || sy >= h {
				continue
			}
			for x := range s {
				if sx := left + x; sx >= 0 && sx < w {
					out[(ch*s+y)*s+x] = img[(ch*h+sy)*w+sx]
				}
			}
		}
	}
	return out, c, s, s
}

// RandomHFlip mirrors the image left-to-right with probability P.
type RandomHFlip struct {
	P float64
}

// OutShape returns the shape unchanged.
func (RandomHFlip) OutShape(c, h, w int) (int, int, int, error) { return c, h, w, nil }

// Apply draws one number and flips img in place when it is below P.
func (f RandomHFlip) Apply(img []float32, c, h, w int, rng *rand.Rand) ([]float32, int, int, int) {
	if rng.Float64() >= f.P {
		return img, c, h, w
	}
	for row := range c * h {
		r := img[row*w : (row+1)*w]
		for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	}
	return img, c, h, w
}
