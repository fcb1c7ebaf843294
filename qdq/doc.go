// Package qdq exports a fake-quantized graph (package quant's FakeQuant
// nodes) in the QDQ format of ONNX Runtime's quantization tooling: every
// quantizer becomes standard ONNX QuantizeLinear/DequantizeLinear nodes
// with the quantizer's exact scales and zero points, so any ONNX runtime
// computes what t2c's fake-quantized model computes.
//
//	activation (per tensor or channel):  x → [Clip] → QuantizeLinear → DequantizeLinear → y
//	weight (an initializer):             int8 weight initializer → DequantizeLinear → y
//
// Weights are stored already quantized (site.Integer, so AdaRound's learned
// rounding is kept bit for bit) with one scale per output channel;
// activations get one scale (or one per channel of the quantizer's axis).
// Formats narrower than 8 bits live on the int8/uint8 grid with the
// narrower range: QuantizeLinear saturates only at the 8-bit limits, so a
// Clip to [(qmin−z)·s, (qmax−z)·s] runs before it. That Clip is exact:
// QuantizeLinear maps both bounds to qmin and qmax (k·s/s rounds back to
// k), and float division and rounding are monotone, so every value in
// between quantizes as without the Clip. It sits before QuantizeLinear,
// not after DequantizeLinear, so the DequantizeLinear→Conv pairs that ONNX
// Runtime's QDQ fusions look for stay adjacent.
//
// Quantizers that QDQ at opset 13–17 cannot express are refused with an
// error naming the node: dynamic per-token scales, MXINT blocks, more than
// 8 bits, and quantizers in observe or train mode.
package qdq
