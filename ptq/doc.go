// Package ptq is t2c's post-training quantization engine (t2c ptq) and the
// quantized-model plumbing that QAT (t2c qat) shares with it: options from
// a config's quantization section, the calibration set, observer
// calibration, block reconstruction, per-layer error reports, and quantized
// checkpoints that reload into the same fake-quantized graph.
//
// # Procedure
//
// Run follows Torch2Chip's calibration procedure (../shared/REFERENCE.md
// §3) on a float graph and a calibration set (LoadCalibration: the first
// calib_samples images of the dataset's train split):
//
//   - optional SmoothQuant from the calibration activations;
//   - quant.Insert places the quantizers;
//   - observer mode: all quantizers observe the float model's values on
//     the calibration set (no gradients);
//   - reconstruction mode (iters > 0): Blocks splits the graph into
//     layers (CNNs: each Conv/Gemm with the BatchNormalization reading it)
//     and transformer blocks (blocks.i.attn + norm1, blocks.i.mlp + norm2);
//     for each in graph order the block's float output and its input are
//     cached, the block is cut out as a graph of its own and compiled with
//     autodiff, and its learnable quantizer parameters (AdaRound α, LSQ
//     steps) are optimised with Adam or SGD under a cosine schedule on
//     random mini-batches of the cache, minimising the squared error to
//     the float output plus λ times AdaRound's rounding regulariser with β
//     annealed 20 → 2. By default a block's input is the output of the
//     already quantized blocks before it (AdaRound, BRECQ); recon_input:
//     float uses the cached float input instead (Torch2Chip).
//
// The Report holds, per quantized layer, the MSE and SQNR of its output in
// the fake-quantized model against the float model before and after
// reconstruction, and per block the local errors and losses.
//
// # Checkpoints
//
// SaveModel writes the quantized graph's parameters — weights and every
// quantizer's state — with the quantization section under the metadata
// key MetaKey. LoadModel and BuildModel rebuild the float architecture,
// re-apply the recorded structure (Rebuild: SmoothQuant layout and
// quantizer placement) and load the tensors strictly, so the reloaded
// graph computes exactly what was saved.
package ptq
