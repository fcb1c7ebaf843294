// Package demo embeds the small PyTorch-trained model that `t2c demo` runs,
// so the binary works with no files on disk. fashion_cnn.onnx is a copy of
// testdata/pytorch/fashion/cnn.onnx (made by
// scripts/train_fashion_reference.py); a test keeps the two identical.
package demo

import _ "embed"

// FashionCNN is the ONNX export of a small CNN trained with PyTorch on
// Fashion-MNIST; its reference accuracy is in
// testdata/pytorch/fashion/reference.json.
//
//go:embed fashion_cnn.onnx
var FashionCNN []byte
