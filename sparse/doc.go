// Package sparse holds the compressed weight formats a sparse accelerator
// consumes, with encoders and decoders over integer weight tensors (int8,
// uint8, int16, uint16):
//
//   - NM: N:M fine-grained structured sparsity as a sparse tensor core reads
//     it — per group of M weights along the input-channel axis, N values and
//     N packed log2(M)-bit indices;
//   - Bitmask: one presence bit per weight plus the packed non-zeros;
//   - CSR: compressed sparse rows, one row per output channel;
//   - Matrix: the dense form in the same row/column order, for checking.
//
// Every format views a weight tensor as a matrix with one row per output
// channel and the reduction (input channels, and kernel positions for
// convolutions) along the columns, in (out, kh, kw, in) order (Layout). The
// exact byte layouts are documented in docs/SPARSE.md; decoding any format
// gives back the dense integer tensor bit for bit.
package sparse
