package export

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"t2c/tensor"
)

// roundTripTensors covers every storage dtype and ranks 0–4.
func roundTripTensors() []*tensor.Tensor {
	return []*tensor.Tensor{
		tensor.New([]int{2, 3}, []int8{-128, -1, 0, 1, 2, 127}),
		tensor.New([]int{4}, []uint8{0, 1, 128, 255}),
		tensor.New([]int{1, 2, 1, 2}, []int16{-32768, -2, 3, 32767}),
		tensor.New([]int{2}, []uint16{0, 65535}),
		tensor.New([]int{3, 1}, []int32{-2147483648, 5, 2147483647}),
		tensor.New([]int{2}, []uint32{0, 4294967295}),
		tensor.New([]int{2}, []int64{-1 << 62, 1 << 62}),
		tensor.New([]int{2}, []float32{1.5, -0.25}),
		tensor.New([]int{1}, []float64{3.25}),
		tensor.New([]int{3}, []bool{true, false, true}),
		tensor.Scalar(int32(-7)),
	}
}

func TestNPYRoundTrip(t *testing.T) {
	for _, x := range roundTripTensors() {
		var buf bytes.Buffer
		if err := WriteNPY(&buf, x); err != nil {
			t.Fatalf("%v: %v", x, err)
		}
		if hdr := int(buf.Bytes()[8]) | int(buf.Bytes()[9])<<8; (10+int(hdr))%64 != 0 {
			t.Errorf("%v: header end %d is not 64-byte aligned", x, 10+int(hdr))
		}
		got, err := ReadNPY(&buf)
		if err != nil {
			t.Fatalf("%v: read back: %v", x, err)
		}
		assertSameTensor(t, got, x)
	}
}

func TestBinRoundTrip(t *testing.T) {
	for _, x := range roundTripTensors() {
		var buf bytes.Buffer
		if err := WriteBin(&buf, x); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != x.Len()*x.DType().Size() {
			t.Errorf("%v: %d bytes, want %d", x, buf.Len(), x.Len()*x.DType().Size())
		}
		got, err := ReadBin(bytes.NewReader(buf.Bytes()), x.DType(), x.Shape())
		if err != nil {
			t.Fatalf("%v: %v", x, err)
		}
		assertSameTensor(t, got, x)
		if _, err := ReadBin(bytes.NewReader(append(buf.Bytes(), 0)), x.DType(), x.Shape()); err == nil {
			t.Errorf("%v: trailing byte read without error", x)
		}
	}
	// Little-endian, hand-checked.
	var buf bytes.Buffer
	if err := WriteBin(&buf, tensor.New([]int{2}, []int16{-2, 0x0102})); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.Bytes(), []byte{0xfe, 0xff, 0x02, 0x01}; !bytes.Equal(got, want) {
		t.Errorf("bin = % x, want % x", got, want)
	}
}

func TestWriteTensorFiles(t *testing.T) {
	dir := t.TempDir()
	x := tensor.New([]int{2, 2}, []int8{-1, 2, -3, 4})
	files, err := WriteTensor(dir, "a/b/w", x, Word{Bits: 4, Signed: true}, []string{FormatNPY, FormatHex, FormatBin, FormatC})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/b/w.npy", "a/b/w.hex", "a/b/w.bin"}; !slices.Equal(files, want) {
		t.Fatalf("files %v, want %v", files, want)
	}
	hex, err := os.ReadFile(filepath.Join(dir, "a", "b", "w.hex"))
	if err != nil || string(hex) != "f\n2\nd\n4\n" {
		t.Errorf("hex file %q (%v)", hex, err)
	}
	if _, err := WriteTensor(dir, "bad", x, Word{Bits: 2, Signed: true}, []string{FormatHex}); err == nil {
		t.Error("4 written as a 2-bit word without error")
	}
}

func assertSameTensor(t *testing.T, got, want *tensor.Tensor) {
	t.Helper()
	if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("got %v, want %v", got, want)
	}
	g, w := got.Float64s(), want.Float64s()
	if !slices.Equal(g, w) {
		t.Errorf("%v: values %v, want %v", want, g, w)
	}
	if gi, err := Ints(got); err == nil {
		wi, _ := Ints(want)
		if !slices.Equal(gi, wi) {
			t.Errorf("%v: values %v, want %v", want, gi, wi)
		}
	}
}
