// Command customquant shows how to add a quantization algorithm to t2c
// without changing its core packages.
//
// It defines "pow2", a min-max observer whose scales are rounded up to
// powers of two — a format accelerators like because requantization then
// needs only shifts — as a Go type that embeds quant.Affine (which supplies
// the fake-quantization, the straight-through gradient and the integer
// parameters) and implements Init (declare the state: scale, zero point,
// running min and max) and Observe (calibrate). It registers the type with
// quant.Register, builds a ResNet-8 for 28×28 grey images with random
// weights from the zoo, places pow2 quantizers on every convolution and the
// classifier by name (quant.Insert), calibrates them on embedded
// Fashion-MNIST test images, runs the fake-quantized model beside the float
// one, and prints per layer what an integer converter needs: bits,
// signedness, scale (as 2^−shift), zero point and the integer weight range.
//
//	go run ./examples/customquant
package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"t2c/data"
	"t2c/graph"
	_ "t2c/ops"
	"t2c/quant"
	"t2c/tensor"
	"t2c/zoo"
)

func init() { quant.Register("pow2", newPow2) }

// pow2 is a running min/max observer with power-of-two scales.
type pow2 struct{ quant.Affine }

// newPow2 is the factory: per-tensor by default, per-channel on request.
func newPow2(s quant.Spec, _ *graph.Attrs) (quant.Quantizer, error) {
	if s.Granularity == "" {
		s.Granularity = quant.PerTensor
	}
	if s.Granularity != quant.PerTensor && s.Granularity != quant.PerChannel {
		return nil, fmt.Errorf("pow2 supports tensor and channel granularity, not %s", s.Granularity)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return pow2{quant.Affine{S: s}}, nil
}

// Init declares the state: scale and zero point per group, then the
// running minimum and maximum.
func (q pow2) Init(shape []int) ([]quant.Param, error) {
	groups, err := quant.Groups(q.S, shape)
	if err != nil {
		return nil, err
	}
	lo, hi := tensor.Zeros(tensor.Float32, groups), tensor.Zeros(tensor.Float32, groups)
	for i := 0; i < groups; i++ {
		lo.Float32()[i], hi.Float32()[i] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	return quant.AffineParams(groups, false, quant.Param{Name: "min", Value: lo}, quant.Param{Name: "max", Value: hi}), nil
}

// Observe widens the running range and sets each scale to the smallest
// power of two whose grid still covers it.
func (q pow2) Observe(x *tensor.Tensor, st quant.State) error {
	lo, hi, err := quant.GroupRange(q.S, x, st.Scale.Len())
	if err != nil {
		return err
	}
	rmin, rmax := st.Extra[0].Float32(), st.Extra[1].Float32()
	for g := range lo {
		rmin[g], rmax[g] = min(rmin[g], lo[g]), max(rmax[g], hi[g])
		s, _ := quant.AffineFromRange(q.S, rmin[g], rmax[g])
		s = float32(math.Exp2(math.Ceil(math.Log2(float64(s)))))
		z := 0.0
		if !q.S.Signed {
			z = float64(q.S.QMin()) - math.RoundToEven(float64(min(rmin[g], 0)/s))
			z = min(max(z, float64(q.S.QMin())), float64(q.S.QMax()))
		}
		st.Scale.Float32()[g], st.ZeroPoint.Int32()[g] = s, int32(z)
	}
	return nil
}

// result is what quantize measured.
type result struct {
	report    *quant.Report
	relErr    float64 // ‖fake-quant − float‖ / ‖float‖ over the logits
	agreement float64 // fraction of images with the same top-1 class
	images    int
}

// quantize builds the model, inserts pow2 quantizers, calibrates on half
// of n Fashion-MNIST images and compares float and fake-quant outputs on
// all n.
func quantize(n int) (*graph.Graph, result, error) {
	g, err := zoo.Build("resnet8", zoo.Config{InChannels: 1, ImageSize: 28, Classes: 10, Seed: 1})
	if err != nil {
		return nil, result{}, err
	}
	x, err := images(n)
	if err != nil {
		return nil, result{}, err
	}
	float, err := run(g, x)
	if err != nil {
		return nil, result{}, err
	}
	rep, err := quant.Insert(g, quant.Options{WAlgo: "pow2", AAlgo: "pow2", WBits: 8, ABits: 8, WGranularity: quant.PerChannel})
	if err != nil {
		return nil, result{}, err
	}
	calib, err := x.Reshape(n, 1, 28, 28)
	if err != nil {
		return nil, result{}, err
	}
	half := tensor.New([]int{n / 2, 1, 28, 28}, calib.Float32()[:n/2*28*28])
	if err := quant.Calibrate(g, half); err != nil {
		return nil, result{}, err
	}
	fq, err := run(g, x)
	if err != nil {
		return nil, result{}, err
	}
	res := result{report: rep, images: n}
	res.relErr, res.agreement = compare(fq, float)
	return g, res, nil
}

// images reads the first n embedded Fashion-MNIST test images, normalised.
func images(n int) (*tensor.Tensor, error) {
	ds, preset, err := data.Open("fashion-mnist", "test")
	if err != nil {
		return nil, err
	}
	c, h, w := ds.Shape()
	x := tensor.Zeros(tensor.Float32, n, c, h, w)
	norm := preset.Normalize()
	for i := 0; i < n; i++ {
		img := x.Float32()[i*c*h*w : (i+1)*c*h*w]
		ds.Image(i, img)
		norm.Apply(img, c, h, w, nil)
	}
	return x, nil
}

func run(g *graph.Graph, x *tensor.Tensor) (*tensor.Tensor, error) {
	s, err := graph.NewSession(g)
	if err != nil {
		return nil, err
	}
	return s.Run1(x)
}

// compare returns the relative error of a against b and their top-1 agreement.
func compare(a, b *tensor.Tensor) (float64, float64) {
	var num, den float64
	for i := range a.Float32() {
		d := float64(a.Float32()[i] - b.Float32()[i])
		num += d * d
		den += float64(b.Float32()[i]) * float64(b.Float32()[i])
	}
	classes, same := a.Dim(1), 0
	for i := 0; i < a.Dim(0); i++ {
		if argmax(a.Float32()[i*classes:(i+1)*classes]) == argmax(b.Float32()[i*classes:(i+1)*classes]) {
			same++
		}
	}
	return math.Sqrt(num / den), float64(same) / float64(a.Dim(0))
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// report writes the comparison and, for the first layers, the integer
// parameters a converter reads from each quantizer.
func report(w io.Writer, g *graph.Graph, res result, layers int) error {
	fmt.Fprintf(w, "pow2 quantizers: %d inserted; fake-quant vs float on %d images: relative error %.4f, top-1 agreement %.1f%%\n\n",
		res.report.Count(), res.images, res.relErr, 100*res.agreement)
	sites, err := quant.Sites(g)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%-16s %-10s %-4s %-6s %-22s %-8s %s\n", "layer", "operand", "bits", "signed", "scale", "zero pt", "integers")
	seen := map[string]bool{}
	for _, s := range sites {
		if !seen[s.Layer] && len(seen) == layers {
			break
		}
		seen[s.Layer] = true
		integers := "quantized at run time"
		var p *quant.QParams
		if s.Role() == quant.Weight {
			var q *tensor.Tensor
			if q, p, err = s.Integer(nil); err != nil {
				return err
			}
			lo, hi := intRange(q)
			integers = fmt.Sprintf("%v weights in [%d, %d]", q.DType(), lo, hi)
		} else if p, err = s.QParams(nil); err != nil {
			return err
		}
		lo, hi := shifts(p.Scale)
		scale := fmt.Sprintf("2^-%d", lo)
		if len(p.Scale) > 1 {
			scale = fmt.Sprintf("2^-%d..2^-%d (%d ch)", lo, hi, len(p.Scale))
		}
		fmt.Fprintf(w, "%-16s %-10s %-4d %-6v %-22s %-8d %s\n", s.Layer, s.Role(), p.Bits, p.Signed, scale, p.ZeroPoint[0], integers)
	}
	return nil
}

// shifts returns the smallest and largest k of scales 2^−k.
func shifts(scales []float32) (lo, hi int) {
	lo, hi = math.MaxInt, math.MinInt
	for _, s := range scales {
		k := -int(math.Log2(float64(s)))
		lo, hi = min(lo, k), max(hi, k)
	}
	return lo, hi
}

func intRange(q *tensor.Tensor) (lo, hi int64) {
	vs := q.Int64s()
	lo, hi = vs[0], vs[0]
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

func main() {
	g, res, err := quantize(64)
	if err == nil {
		err = report(os.Stdout, g, res, 4)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "customquant:", err)
		os.Exit(1)
	}
}
