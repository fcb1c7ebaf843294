// Package prune makes weights sparse: binary masks that live in the graph,
// the pruners that set them, and the bookkeeping that lets a pruned model
// be trained, quantized, saved and reloaded like any other.
//
// A pruned layer with weight parameter "P.weight" gets a float32 0/1
// parameter "P.weight_mask" and a node Mul named "P.weight_mask.apply"
// whose output replaces the weight input of its Conv, Gemm or MatMul
// (Attach). Every path therefore multiplies by the mask: training
// (autodiff differentiates Mul, so masked weights get a zero gradient and
// no update reaches the effective weight), inference, and quantization —
// quant.Insert puts the weight quantizer before the mask,
// Conv(x, Mul(FakeQuant(W), mask)), so a masked weight is exactly zero
// whatever the quantizer rounds. The pruners also zero the masked entries
// of W itself (Enforce), so observers and checkpoints see the sparse
// weight.
//
// Pruners (New, Options):
//   - element: magnitude pruning, one threshold across layers (global) or
//     one per layer; one-shot or gradual along the cubic schedule of Zhu &
//     Gupta (2017); optional prune-and-regrow (RigL, Evci et al. 2020) and
//     Erdős–Rényi-Kernel per-layer densities;
//   - nm: N:M fine-grained structured sparsity along the input channels,
//     conv weights grouped in (out, kh, kw, in) order (sparse.Layout),
//     one-shot or gradual (the kept count per group falls from M to N).
//
// The masked layers are recorded in checkpoint metadata under MetaKey;
// Rebuild recreates the mask nodes on a freshly built graph so that the
// checkpoint loads into it.
package prune
