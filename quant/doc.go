// Package quant is t2c's quantization core: the dual-path Quantizer
// interface, a registry of algorithms under Torch2Chip's names, the
// FakeQuant graph op, the pass that places quantizers on a float graph,
// calibration, and the helpers the PTQ/QAT loops and the converter use.
//
// # Quantizers are graph nodes
//
// A quantizer is a FakeQuant node on an edge, like a QuantizeLinear/
// DequantizeLinear pair in ONNX: inputs (x, scale, zero_point, extra...),
// one float output shaped like x. Its attributes name the algorithm
// ("algo"), the integer format ("bits", "signed", "granularity", "axis",
// "block", "role"), the mode and the algorithm's options. Its state —
// scales, zero points, running min/max, LSQ's learned step, AdaRound's α —
// are graph parameters named after the layer ("layer1.0.conv1.wq.scale",
// "layer1.0.conv1.aq.scale", "layer1.0.conv1.wq.alpha"). So one graph
// carries the float model and its quantizers; package autodiff computes the
// state's gradients through the node's Backward, package train's
// optimisers update it by name, package checkpoint saves it, and the
// converter reads exact integer parameters from the same nodes.
//
// # The dual path
//
// Every algorithm implements Quantizer. The training path (Forward and
// Backward) is fake quantization — quantize then dequantize, a float tensor
// on the integer grid times the scale — differentiable with the
// straight-through estimator (the gradient of rounding is 1 inside the
// integer range and 0 where the value was clamped) and with gradients for
// learned parameters. The inference path (QParams, and Integerizer where
// rounding is learned) gives the exact integers: QParams holds the spec and
// the per-tensor, per-channel, per-token or per-block scales, zero points
// and MXINT exponents, with Quantize and Dequantize.
//
// The node's mode selects the path: ModeAuto (default) follows
// graph.Ctx.Training; ModeTrain and ModeQuantize force the training path
// (AdaRound's soft rounding, QDrop's random drop) or the inference path
// (hard rounding, no drop) whatever the context, so that a PTQ loop can
// optimise quantizers while BatchNormalization stays in inference mode;
// ModeObserve updates statistics and passes x through unchanged (float);
// ModeFloat disables the quantizer. SetMode switches nodes; compiled
// programs and sessions keep the mode they were compiled with.
//
// # Numbers
//
// Integer ranges: unsigned [0, 2ⁿ−1], signed [−2ⁿ⁻¹, 2ⁿ⁻¹−1], n = 2..16.
// Affine quantization computes in float32 like PyTorch:
//
//	q = clamp(round_half_even(x / s) + z, qmin, qmax),   x̂ = (q − z)·s
//
// with x/s an IEEE float32 division and rounding half to even (torch.round,
// math.RoundToEven). The integer runtime must quantize activations exactly
// so. MXINT rounds half away from zero (the OCP MX rule). Ranges from
// observers always include 0 (as PyTorch's), so the zero point is an
// integer in [qmin, qmax]; scales are at least 2⁻²³.
//
// # Algorithms
//
// identity; minmax (per tensor), minmax_channel, minmax_token (dynamic, one
// scale per token row at run time, any token count); mse (Lp-2.4 search
// over 100 shrunk ranges); percentile (option "percentile", default 99.99);
// lsq and lsq_token (learned step, initialised by the MSE search, gradient
// scaled by g = 1/√(N·qmax)); qdrop and qdrop_token (LSQ that keeps each
// float value with probability "p" on the training path); adaround
// (weights; learned rounding with AdaRoundReg and BetaSchedule);
// smoothquant (the SmoothQuant pass plus per-channel weights and per-token
// activations; also smooth, smooth_channel, smooth_token); mxint and
// mxint_quant (4 or 8 bits, blocks of 16 or 32 along the consuming op's
// reduction axis). Granularity defaults are the algorithm's; Options and
// Spec may ask for another where the algorithm allows it.
//
// # Adding an algorithm
//
// Write a type implementing Quantizer — embedding Affine gives the
// fake-quantization, straight-through backward and QParams of a static
// scale/zero-point quantizer, leaving Init (declare the state) and Observe
// (calibrate) — and register a Factory under a name:
//
//	quant.Register("pow2", func(s quant.Spec, a *graph.Attrs) (quant.Quantizer, error) { ... })
//
// Insert, configs and the converter then use it by name. A quantizer with
// learned parameters marks them Learnable in Init and returns their
// gradients from Backward; one with non-standard integers implements
// Integerizer. examples/customquant is a complete example outside the core.
//
// # Workflow
//
//	rep, err := quant.Insert(g, quant.Options{WBits: 4, ABits: 4, WAlgo: "adaround", AAlgo: "lsq"})
//	err = quant.Calibrate(g, batches...)            // observers see the float model
//	trainable := quant.Trainable(g, nil)            // autodiff/train filter
//	reg, dAlpha, err := quant.AdaRoundReg(g, beta)  // add λ·reg to the loss
//	sites, err := quant.Sites(g)                    // per node: QParams, Integer
package quant
