// Package export writes an integer graph out for the people who build the
// accelerator: a JSON manifest of the graph in execution order (ops,
// shapes, grids, every integer attribute), every parameter as .npy, .hex
// ($readmemh) and raw little-endian .bin files plus one C header, the
// integer operands, accumulators and outputs of every layer for a few
// sample inputs, and, for a PE array of size P, every convolution and
// matrix product as a zero-point-padded GEMM cut into P×P tiles.
//
// Write produces the whole directory atomically; WriteTensor, WriteNPY,
// WriteHex and WriteBin (and their readers) are the file formats on their
// own. docs/EXPORT.md documents the directory layout, the manifest schema
// and the file conventions; rtl/ holds a Verilog MAC array, Requant and a
// testbench that check one exported convolution bit for bit.
package export
