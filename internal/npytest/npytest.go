// Package npytest reads the .npy fixtures that the PyTorch scripts in
// scripts/ write, for tests that compare t2c with PyTorch.
package npytest

import (
	"os"
	"testing"

	"codeberg.org/sbinet/npyio"

	"t2c/tensor"
)

// Float32 reads a float32 .npy file as a tensor, failing the test on error.
func Float32(t testing.TB, path string) *tensor.Tensor {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var data []float32
	if err := r.Read(&data); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tensor.New(r.Header.Descr.Shape, data)
}

// Int64 reads an int64 .npy file as a flat slice.
func Int64(t testing.TB, path string) []int64 {
	t.Helper()
	var data []int64
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := npyio.Read(f, &data); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return data
}
