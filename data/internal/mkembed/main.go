// Command mkembed writes the Fashion-MNIST subset that package data embeds:
// the first N (default 2,000) images of the Fashion-MNIST test set and their
// labels, as gzip-compressed IDX files.
//
// It reads t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from the
// source directory (default /usr/share/datasets/fashion-mnist, installed by
// Debian's dataset-fashion-mnist package), keeps the IDX headers with the
// count changed to N, copies the first N records unchanged, and writes
// t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz to the output
// directory with gzip.BestCompression and an empty gzip header (no name,
// zero time), so the output depends only on the input and the Go version.
// It deliberately does not import package data, which cannot build until
// the files exist. Run from the repository root:
//
//	go run ./data/internal/mkembed [-src DIR] [-out data/embedded] [-n 2000]
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
)

func main() {
	src := flag.String("src", "/usr/share/datasets/fashion-mnist", "directory with the Fashion-MNIST t10k-*.gz files")
	out := flag.String("out", "data/embedded", "output directory")
	n := flag.Int("n", 2000, "number of leading test images to keep")
	flag.Parse()
	log.SetFlags(0)
	for _, f := range []struct {
		name  string
		magic uint32
	}{
		{"t10k-images-idx3-ubyte.gz", 0x803},
		{"t10k-labels-idx1-ubyte.gz", 0x801},
	} {
		raw, err := gunzip(filepath.Join(*src, f.name))
		if err != nil {
			log.Fatal(err)
		}
		sub, err := subset(raw, f.magic, *n)
		if err != nil {
			log.Fatalf("%s: %v", f.name, err)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(sub); err != nil {
			log.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			log.Fatal(err)
		}
		path := filepath.Join(*out, f.name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d bytes (%d uncompressed)\n", path, buf.Len(), len(sub))
	}
}

// gunzip reads a gzip file whole.
func gunzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(zr)
}

// subset returns the IDX file raw cut to its first n items, with the item
// count in the header set to n.
func subset(raw []byte, magic uint32, n int) ([]byte, error) {
	ndim := int(magic & 0xff)
	hdr := 4 + 4*ndim
	if len(raw) < hdr || binary.BigEndian.Uint32(raw) != magic {
		return nil, fmt.Errorf("not an IDX file with magic 0x%08x", magic)
	}
	count := int(binary.BigEndian.Uint32(raw[4:]))
	if n > count {
		return nil, fmt.Errorf("has %d items, want at least %d", count, n)
	}
	item := 1
	for i := 1; i < ndim; i++ {
		item *= int(binary.BigEndian.Uint32(raw[4+4*i:]))
	}
	if len(raw) != hdr+count*item {
		return nil, fmt.Errorf("size %d does not match header (%d items of %d bytes)", len(raw), count, item)
	}
	out := append([]byte(nil), raw[:hdr+n*item]...)
	binary.BigEndian.PutUint32(out[4:], uint32(n))
	return out, nil
}
