package demo

import (
	"bytes"
	"os"
	"testing"
)

func TestEmbeddedModelMatchesFixture(t *testing.T) {
	want, err := os.ReadFile("../../testdata/pytorch/fashion/cnn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(FashionCNN, want) {
		t.Fatal("internal/demo/fashion_cnn.onnx differs from testdata/pytorch/fashion/cnn.onnx: copy it again")
	}
}
