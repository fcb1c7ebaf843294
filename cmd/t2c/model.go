package main

import (
	"t2c/graph"
	"t2c/ptq"
)

// loadModel opens a model argument: an ONNX file or a t2c checkpoint
// (float or quantized).
func loadModel(path string) (*graph.Graph, error) {
	g, _, err := ptq.LoadModel(path)
	return g, err
}
