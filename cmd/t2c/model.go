package main

import (
	"t2c/graph"
	"t2c/pipeline"
)

// loadModel opens a model argument: an ONNX file or a t2c checkpoint.
func loadModel(path string) (*graph.Graph, error) {
	return pipeline.LoadModel(path)
}
