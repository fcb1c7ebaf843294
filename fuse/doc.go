// Package fuse converts a quantized float graph (FakeQuant nodes on the
// operands of every Conv, Gemm and MatMul, as package quant inserts them)
// into an integer graph of package integer's ops — for any CNN or ViT the
// op set covers, by patterns, with no per-model code.
//
// The conversion is an abstract interpretation of the float graph in
// topological order: every float value gets an integer representation.
//   - A quantized weight is its integers (the quantizer's own, so learned
//     rounding is kept) times its pruning mask, if any.
//   - An activation quantizer's output is an integer value on the
//     quantizer's grid: the graph input is quantized on the host
//     (QuantizeInput), any other value is requantized to it.
//   - A Conv/Gemm/MatMul output is a pending accumulator: int32 integers
//     and a per-channel affine map to real values, into which a following
//     bias, BatchNormalization, scalar Mul/Div and ReLU/Clip fold; residual
//     adds and average pools are pending too. Pending values are
//     materialised lazily, when a consumer needs integers, directly on the
//     grid the consumer wants (a quantizer's grid: one Requant does bias,
//     BN, activation and requantization) or, where the float model keeps a
//     float value between quantizers, on a wide 32-bit grid fine enough to
//     stand for the float value (docs/INTEGER.md §1).
//
// Values the integer graph cannot represent (an op with no integer form,
// dynamic per-token or block quantization, a float weight without a
// quantizer) fail the conversion with an error naming the node and why.
package fuse
