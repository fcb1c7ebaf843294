package data

import (
	"testing"
)

// cifarPixel is the test value of pixel k (0..3071, CHW) of record r.
func cifarPixel(r, k int) byte { return byte(r*7 + k*13 + k/1024) }

// cifarRecords builds records first..first+n-1; label bytes come from
// labels(r), which returns the bytes preceding the pixels.
func cifarRecords(first, n int, labels func(r int) []byte) []byte {
	var b []byte
	for r := first; r < first+n; r++ {
		b = append(b, labels(r)...)
		for k := range cifarPixels {
			b = append(b, cifarPixel(r, k))
		}
	}
	return b
}

// checkCIFAR verifies every image of ds against cifarPixel with records
// numbered from first, and the labels against want.
func checkCIFAR(t *testing.T, ds Dataset, first int, want []int) {
	t.Helper()
	if ds.Len() != len(want) {
		t.Fatalf("Len %d, want %d", ds.Len(), len(want))
	}
	if c, h, w := ds.Shape(); c != 3 || h != 32 || w != 32 {
		t.Fatalf("Shape %d,%d,%d", c, h, w)
	}
	dst := make([]float32, cifarPixels)
	for i := range want {
		if l := ds.Image(i, dst); l != want[i] {
			t.Errorf("image %d label %d, want %d", i, l, want[i])
		}
		for _, k := range []int{0, 1, 31, 32, 1023, 1024, 2047, 2048, 3071} {
			if w := float32(cifarPixel(first+i, k)) / 255; dst[k] != w {
				t.Errorf("image %d pixel %d = %v, want %v", i, k, dst[k], w)
			}
		}
	}
}

func TestOpenCIFAR10(t *testing.T) {
	root := t.TempDir()
	dir := root + "/cifar-10-batches-bin"
	label := func(r int) []byte { return []byte{byte(r % 10)} }
	var want []int
	for b := range 5 {
		writeFile(t, dir, "data_batch_"+string(rune('1'+b))+".bin", cifarRecords(2*b, 2, label))
		want = append(want, (2*b)%10, (2*b+1)%10)
	}
	writeFile(t, dir, "test_batch.bin", cifarRecords(100, 3, label))
	for _, d := range []string{root, dir} {
		ds, err := OpenCIFAR(d, false, true)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Classes() != 10 {
			t.Errorf("Classes %d", ds.Classes())
		}
		checkCIFAR(t, ds, 0, want)
		ds, err = OpenCIFAR(d, false, false)
		if err != nil {
			t.Fatal(err)
		}
		checkCIFAR(t, ds, 100, []int{0, 1, 2})
	}
}

func TestOpenCIFAR100(t *testing.T) {
	root := t.TempDir()
	dir := root + "/cifar-100-binary"
	// coarse label 19-r%20, fine label 50+r
	label := func(r int) []byte { return []byte{byte(19 - r%20), byte(50 + r)} }
	writeFile(t, dir, "train.bin", cifarRecords(0, 4, label))
	writeFile(t, dir, "test.bin", cifarRecords(10, 2, label))
	ds, err := OpenCIFAR(root, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Classes() != 100 {
		t.Errorf("Classes %d", ds.Classes())
	}
	checkCIFAR(t, ds, 0, []int{50, 51, 52, 53})
	ds, err = OpenCIFAR(dir, true, false)
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, ds, 10, []int{60, 61})
}

func TestOpenCIFARErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenCIFAR(dir, false, false)
	wantErr(t, err, dir+"/test_batch.bin", "not found", "cifar-10-batches-bin")

	full := cifarRecords(0, 2, func(int) []byte { return []byte{1} })
	p := writeFile(t, dir, "test_batch.bin", full[:len(full)-1])
	_, err = OpenCIFAR(dir, false, false)
	wantErr(t, err, p, "truncated")

	// A label byte of 12 cannot be CIFAR-10 (e.g. a CIFAR-100 coarse label).
	p = writeFile(t, dir, "test_batch.bin", cifarRecords(0, 1, func(int) []byte { return []byte{12} }))
	_, err = OpenCIFAR(dir, false, false)
	wantErr(t, err, p, "label 12")

	_, err = OpenCIFAR(dir+"/nope", true, true)
	wantErr(t, err, dir+"/nope")

	writeFile(t, dir, "data_batch_1.bin", full)
	_, err = OpenCIFAR(dir, false, true)
	wantErr(t, err, dir+"/data_batch_2.bin")
}
