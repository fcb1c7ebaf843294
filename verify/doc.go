// Package verify compares the three forms of a model — float, fake-quant
// and integer — value by value, and measures the ranges of float values
// that the converter sizes its intermediate grids from. It is what
// `t2c convert` and `t2c diff` report.
package verify
