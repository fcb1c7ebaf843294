package integer

import (
	"math/rand/v2"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// benchCNNOp runs node n on in repeatedly with a buffer pool, as a
// Program does, reporting ops (2 per multiply-accumulate, or 1 per element)
// per second.
func benchCNNOp(b *testing.B, n *graph.Node, ops float64, in ...*tensor.Tensor) {
	k, err := graph.Build(n, 17)
	if err != nil {
		b.Fatal(err)
	}
	pool := graph.NewPool()
	ctx := graph.NewCtx(pool)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := k.Run(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		pool.Put(out[0])
	}
	b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gop/s")
}

// A ResNet-20 layer: batch 32, 16 → 16 channels, 28×28, 3×3, padding 1.
func BenchmarkIntConv(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n, c, h, w, k = 32, 16, 28, 28, 16
	macs := float64(n * k * h * w * c * 9)
	conv := NewIntConv("conv", "x", "w", "acc", IntConvParams{Pads: []int{1, 1, 1, 1}, XZeroPoint: 3})
	w8 := cnnRandInts[int8](r, -128, 127, k, c, 3, 3)
	b.Run("uint8", func(b *testing.B) {
		benchCNNOp(b, conv, 2*macs, cnnRandInts[uint8](r, 0, 255, n, c, h, w), w8)
	})
	b.Run("int8", func(b *testing.B) {
		benchCNNOp(b, conv, 2*macs, cnnRandInts[int8](r, -128, 127, n, c, h, w), w8)
	})
	b.Run("int16", func(b *testing.B) {
		benchCNNOp(b, conv, 2*macs, cnnRandInts[int16](r, -1000, 1000, n, c, h, w), w8)
	})
	b.Run("depthwise-uint8", func(b *testing.B) {
		dw := NewIntConv("conv", "x", "w", "acc", IntConvParams{Pads: []int{1, 1, 1, 1}, Group: c, XZeroPoint: 3})
		benchCNNOp(b, dw, 2*macs/c, cnnRandInts[uint8](r, 0, 255, n, c, h, w), cnnRandInts[int8](r, -128, 127, k, 1, 3, 3))
	})
}

// The Requant after that layer: int32 accumulators to uint8, per channel.
func BenchmarkRequant(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	const n, c, h, w = 32, 16, 28, 28
	acc := cnnRandInts[int32](r, -1<<20, 1<<20, n, c, h, w)
	ch := make([]Fixed, c)
	for i := range ch {
		ch[i] = Fixed{Multiplier: r.Int64N(1 << 24), Shift: 26, Bias: r.Int64N(1<<30) - 1<<29}
	}
	b.Run("per-channel", func(b *testing.B) {
		benchCNNOp(b, NewRequant("rq", "acc", "y", RequantParams{Axis: 1, Channels: ch, Out: cnnGrid8(false, 1, 0)}), n*c*h*w, acc)
	})
	b.Run("per-tensor", func(b *testing.B) {
		benchCNNOp(b, NewRequant("rq", "acc", "y", RequantParams{Channels: ch[:1], Out: cnnGrid8(false, 1, 0)}), n*c*h*w, acc)
	})
}

// Attention of a ViT-Tiny block (batch 8, 3 heads, 197 tokens, head size
// 64): Q·Kᵀ of int8 activations; and its MLP's first Linear (192 → 768) on
// uint8 activations.
func BenchmarkIntMatMul(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	const batch, heads, tokens, d = 8, 3, 197, 64
	q := cnnRandInts[int8](r, -128, 127, batch, heads, tokens, d)
	k := cnnRandInts[int8](r, -128, 127, batch, heads, tokens, d)
	b.Run("attention-QK", func(b *testing.B) {
		benchCNNOp(b, NewIntMatMul("qk", "q", "k", "acc", IntMatMulParams{TransB: true}), 2*batch*heads*tokens*tokens*d, q, k)
	})
	x := cnnRandInts[uint8](r, 0, 255, batch, tokens, 192)
	w := cnnRandInts[int8](r, -128, 127, 768, 192)
	b.Run("linear", func(b *testing.B) {
		benchCNNOp(b, NewIntMatMul("fc", "x", "w", "acc", IntMatMulParams{AZeroPoint: 128, TransB: true}), 2*batch*tokens*192*768, x, w)
	})
}
