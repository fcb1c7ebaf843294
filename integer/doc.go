// Package integer is the golden runtime of integer graphs: the integer ops
// that package fuse emits (QuantizeInput, IntConv, IntMatMul, Requant,
// IntAdd, IntAvgPool and the transformer nonlinearities), registered into
// package graph so that a graph.Session runs a converted model bit-exactly,
// and the fixed-point helpers that turn real scale factors into integer
// multipliers and shifts.
//
// Every formula is specified in docs/INTEGER.md; the kernels compute
// exactly that with integer arithmetic only (QuantizeInput, the graph's
// float input boundary, and the "float" modes of the transformer ops, which
// are flagged as not integer-only, are the exceptions). The integer GEMMs
// and convolutions of package kernels do the heavy lifting.
package integer
