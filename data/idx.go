package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// IDX magic numbers: two zero bytes, type code 0x08 (unsigned byte), and the
// number of dimensions.
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
)

// idxDataset holds an IDX image file and its labels as uint8 in memory.
type idxDataset struct {
	n, h, w int
	classes int
	pixels  []byte // n*h*w, image-major, row-major within an image
	labels  []byte
}

// OpenIDX reads an IDX image file (magic 0x00000803, N×H×W unsigned bytes)
// and its IDX label file (magic 0x00000801, N unsigned bytes), as used by
// MNIST and Fashion-MNIST. Either file may be gzip-compressed; compression
// is detected from the magic bytes, not the name. Classes is the largest
// label plus one. Errors name the offending file.
func OpenIDX(imagesPath, labelsPath string) (Dataset, error) {
	img, err := readMaybeGzip(imagesPath)
	if err != nil {
		return nil, err
	}
	lbl, err := readMaybeGzip(labelsPath)
	if err != nil {
		return nil, err
	}
	ds, err := parseIDX(imagesPath, img, labelsPath, lbl)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return ds, nil
}

// readMaybeGzip returns the contents of path, gunzipped if it starts with
// the gzip magic bytes 1f 8b.
func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return maybeGunzip(path, b)
}

// maybeGunzip decompresses b if it is gzip data; name is used in errors.
func maybeGunzip(name string, b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("data: %s: bad gzip data: %w", name, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("data: %s: bad gzip data (truncated or corrupt): %w", name, err)
	}
	return out, nil
}

// parseIDX validates and wraps decompressed IDX image and label data.
func parseIDX(imgName string, img []byte, lblName string, lbl []byte) (*idxDataset, error) {
	dims, pix, err := idxBody(imgName, img, idxImagesMagic, "images")
	if err != nil {
		return nil, err
	}
	ldims, labels, err := idxBody(lblName, lbl, idxLabelsMagic, "labels")
	if err != nil {
		return nil, err
	}
	n, h, w := dims[0], dims[1], dims[2]
	if h == 0 || w == 0 {
		return nil, fmt.Errorf("data: %s: image size %dx%d is empty", imgName, h, w)
	}
	if ldims[0] != n {
		return nil, fmt.Errorf("data: count mismatch: %s has %d images but %s has %d labels", imgName, n, lblName, ldims[0])
	}
	classes := 0
	for _, l := range labels {
		classes = max(classes, int(l)+1)
	}
	return &idxDataset{n: n, h: h, w: w, classes: classes, pixels: pix, labels: labels}, nil
}

// idxBody checks the header of an unsigned-byte IDX file with the given
// magic and returns its dimensions and payload, which must be exactly the
// size the dimensions call for.
func idxBody(name string, b []byte, magic uint32, what string) ([]int, []byte, error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("data: %s: truncated: %d bytes, too short for an IDX header", name, len(b))
	}
	if got := binary.BigEndian.Uint32(b); got != magic {
		return nil, nil, fmt.Errorf("data: %s: bad magic 0x%08x, want 0x%08x (IDX %s)", name, got, magic, what)
	}
	ndim := int(magic & 0xff)
	hdr := 4 + 4*ndim
	if len(b) < hdr {
		return nil, nil, fmt.Errorf("data: %s: truncated: %d bytes, header needs %d", name, len(b), hdr)
	}
	dims := make([]int, ndim)
	size := 1
	for i := range dims {
		d := binary.BigEndian.Uint32(b[4+4*i:])
		if d > 1<<30 {
			return nil, nil, fmt.Errorf("data: %s: implausible dimension %d", name, d)
		}
		dims[i] = int(d)
		size *= dims[i]
		if size > 1<<40 {
			return nil, nil, fmt.Errorf("data: %s: implausible dimensions %v", name, dims)
		}
	}
	body := b[hdr:]
	switch {
	case len(body) < size:
		return nil, nil, fmt.Errorf("data: %s: truncated: dimensions %v need %d bytes of data, file has %d", name, dims, size, len(body))
	case len(body) > size:
		return nil, nil, fmt.Errorf("data: %s: %d unexpected trailing bytes after %v %s", name, len(body)-size, dims, what)
	}
	return dims, body, nil
}

// Len returns the number of images.
func (d *idxDataset) Len() int { return d.n }

// Shape returns 1, H, W.
func (d *idxDataset) Shape() (c, h, w int) { return 1, d.h, d.w }

// Classes returns the largest label plus one.
func (d *idxDataset) Classes() int { return d.classes }

// Image writes image i as pixel/255.
func (d *idxDataset) Image(i int, dst []float32) int {
	hw := d.h * d.w
	src := d.pixels[i*hw : (i+1)*hw]
	dst = dst[:hw]
	for j, p := range src {
		dst[j] = float32(p) / 255
	}
	return int(d.labels[i])
}
