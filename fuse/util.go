package fuse

import "t2c/tensor"

// floats returns a constant's values as float64.
func floats(t *tensor.Tensor) []float64 {
	return tensor.Data[float64](tensor.Cast(t, tensor.Float64))
}
