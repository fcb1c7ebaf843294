package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// cifarPixels is the size of one 3×32×32 CIFAR image: 1024 red, then 1024
// green, then 1024 blue bytes, each plane row-major — already CHW.
const cifarPixels = 3 * 32 * 32

// cifarDataset holds CIFAR images and labels as uint8 in memory.
type cifarDataset struct {
	classes int
	pixels  []byte // n*3072
	labels  []byte
}

// OpenCIFAR reads the binary version of CIFAR-10 (cifar100 false: files
// data_batch_1.bin … data_batch_5.bin for train, test_batch.bin for test;
// records of 1 label byte + 3072 pixel bytes) or CIFAR-100 (train.bin /
// test.bin; records of a coarse label byte, a fine label byte and 3072
// pixel bytes; the fine label, 0..99, is used). dir may be the folder
// holding the files or its parent containing cifar-10-batches-bin or
// cifar-100-binary, as the official archives unpack.
func OpenCIFAR(dir string, cifar100, train bool) (Dataset, error) {
	files, sub, classes, labelBytes := []string{"test_batch.bin"}, "cifar-10-batches-bin", 10, 1
	if train {
		files = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	}
	if cifar100 {
		files, sub, classes, labelBytes = []string{"test.bin"}, "cifar-100-binary", 100, 2
		if train {
			files = []string{"train.bin"}
		}
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("data: CIFAR directory: %w", err)
	}
	root := dir
	if !exists(filepath.Join(dir, files[0])) && exists(filepath.Join(dir, sub, files[0])) {
		root = filepath.Join(dir, sub)
	}
	ds := &cifarDataset{classes: classes}
	rec := labelBytes + cifarPixels
	for _, f := range files {
		path := filepath.Join(root, f)
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("data: CIFAR file %s not found (also looked in %s)", path, filepath.Join(dir, sub))
		}
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		if len(b) == 0 || len(b)%rec != 0 {
			return nil, fmt.Errorf("data: %s: truncated or wrong format: %d bytes is not a whole number of %d-byte records", path, len(b), rec)
		}
		if ds.pixels == nil {
			ds.pixels = make([]byte, 0, len(b)/rec*cifarPixels*len(files))
		}
		for r := 0; r < len(b); r += rec {
			label := b[r+labelBytes-1]
			if int(label) >= classes {
				return nil, fmt.Errorf("data: %s: record %d has label %d, want < %d (wrong CIFAR variant?)", path, r/rec, label, classes)
			}
			ds.labels = append(ds.labels, label)
			ds.pixels = append(ds.pixels, b[r+labelBytes:r+rec]...)
		}
	}
	return ds, nil
}

// exists reports whether path can be stat'ed.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Len returns the number of images.
func (d *cifarDataset) Len() int { return len(d.labels) }

// Shape returns 3, 32, 32.
func (d *cifarDataset) Shape() (c, h, w int) { return 3, 32, 32 }

// Classes returns 10 or 100.
func (d *cifarDataset) Classes() int { return d.classes }

// Image writes image i as pixel/255.
func (d *cifarDataset) Image(i int, dst []float32) int {
	src := d.pixels[i*cifarPixels : (i+1)*cifarPixels]
	dst = dst[:cifarPixels]
	for j, p := range src {
		dst[j] = float32(p) / 255
	}
	return int(d.labels[i])
}
