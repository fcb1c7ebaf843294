// Package ops implements t2c's operator set with ONNX semantics (opsets
// 11–17) and registers each op with package graph at init time. Import it
// (directly or through package onnx) before compiling a graph.
//
// Each op file holds a Builder that parses and checks attributes once and
// returns a graph.Kernel. Heavy ops (convolution, matrix products) call into
// package kernels; data movement uses package tensor.
package ops
