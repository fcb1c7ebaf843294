// Package onnxpb holds the Go types of the ONNX protobuf schema, generated
// once from the onnx.proto shipped by Debian's libonnx-dev (ONNX 1.12, IR
// version 8) and committed so builds need no protoc.
//
// Regenerate with:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	protoc --go_out=. --go_opt=paths=source_relative onnx.proto
//
// after copying /usr/include/onnx/onnx.proto here and adding
// `option go_package = "t2c/onnx/onnxpb";`.
package onnxpb
