package main

import (
	"fmt"
	"os"
	"strings"

	"t2c/graph"
	"t2c/onnx"
)

// loadModel opens a model argument. Today that is an ONNX file; zoo names
// and t2c checkpoints join as those packages land.
func loadModel(path string) (*graph.Graph, error) {
	if path == "" {
		return nil, fmt.Errorf("no model given (--model FILE.onnx)")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("model %s: %w", path, unwrapPathError(err))
	}
	if !strings.HasSuffix(strings.ToLower(path), ".onnx") {
		return nil, fmt.Errorf("model %s: unknown model format (expected an .onnx file)", path)
	}
	return onnx.Load(path)
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
