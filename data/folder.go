package data

import (
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG decoding for image.Decode
	_ "image/png"  // register PNG decoding for image.Decode
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/draw"
)

// Folder is an image-folder dataset in the layout of torchvision's
// ImageFolder: root/CLASS/…/file.{png,jpg,jpeg}. Images are decoded lazily,
// on every Image call: an ImageNet-sized folder does not fit in memory once
// decoded, and the Loader's workers decode in parallel. Folder implements
// CheckedDataset so decode failures reach the Loader as errors.
type Folder struct {
	size    int
	classes []string
	paths   []string
	labels  []int
}

// OpenFolder indexes dir, which must hold one sub-folder per class. Class
// ids follow the sorted folder names; files are found recursively and
// sorted, and only .png, .jpg and .jpeg (any case) are used. Each image is
// converted to RGB (grayscale is replicated to three channels; transparent
// pixels are composited over black), resized with bilinear filtering so
// its shorter side is size, then center-cropped to size×size — the
// torchvision Resize(size) + CenterCrop(size) evaluation pipeline.
func OpenFolder(dir string, size int) (*Folder, error) {
	if size <= 0 {
		return nil, fmt.Errorf("data: folder %s: image size %d must be positive", dir, size)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: image folder: %w", err)
	}
	f := &Folder{size: size}
	for _, e := range entries { // ReadDir sorts by name
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		label := len(f.classes)
		classDir := filepath.Join(dir, e.Name())
		before := len(f.paths)
		err := filepath.WalkDir(classDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !isImageFile(d.Name()) {
				return nil
			}
			f.paths = append(f.paths, path)
			f.labels = append(f.labels, label)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("data: image folder: %w", err)
		}
		if len(f.paths) == before {
			return nil, fmt.Errorf("data: image folder: class folder %s has no .png/.jpg/.jpeg files", classDir)
		}
		f.classes = append(f.classes, e.Name())
	}
	if len(f.classes) == 0 {
		return nil, fmt.Errorf("data: image folder %s has no class sub-folders", dir)
	}
	return f, nil
}

// isImageFile reports whether name has a PNG or JPEG extension.
func isImageFile(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// ClassNames returns the class folder names; index = label.
func (f *Folder) ClassNames() []string { return slices.Clone(f.classes) }

// Path returns the file image i is read from.
func (f *Folder) Path(i int) string { return f.paths[i] }

// Len returns the number of image files.
func (f *Folder) Len() int { return len(f.paths) }

// Shape returns 3, size, size.
func (f *Folder) Shape() (c, h, w int) { return 3, f.size, f.size }

// Classes returns the number of class folders.
func (f *Folder) Classes() int { return len(f.classes) }

// Image decodes image i; it panics if the file cannot be decoded.
func (f *Folder) Image(i int, dst []float32) int {
	label, err := f.ReadImage(i, dst)
	if err != nil {
		panic(err)
	}
	return label
}

// ReadImage decodes, resizes and crops image i into dst.
func (f *Folder) ReadImage(i int, dst []float32) (int, error) {
	r, err := os.Open(f.paths[i])
	if err != nil {
		return 0, fmt.Errorf("data: %w", err)
	}
	defer r.Close()
	src, _, err := image.Decode(r)
	if err != nil {
		return 0, fmt.Errorf("data: %s: %w", f.paths[i], err)
	}
	rgba := resizeCrop(src, f.size)
	s := f.size
	plane := s * s
	dst = dst[:3*plane]
	for y := range s {
		row := rgba.Pix[y*rgba.Stride:]
		for x := range s {
			p := row[4*x:]
			o := y*s + x
			dst[o] = float32(p[0]) / 255
			dst[plane+o] = float32(p[1]) / 255
			dst[2*plane+o] = float32(p[2]) / 255
		}
	}
	return f.labels[i], nil
}

// resizeCrop scales src so its shorter side is size (the longer side is
// truncated as torchvision does) and returns the centered size×size crop
// (offsets rounded half to even, like Python's round in CenterCrop).
// An image whose shorter side already equals size is only cropped.
func resizeCrop(src image.Image, size int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	nw, nh := size, size
	if w <= h {
		nh = int(float64(size) * float64(h) / float64(w))
	} else {
		nw = int(float64(size) * float64(w) / float64(h))
	}
	scaled := image.NewRGBA(image.Rect(0, 0, nw, nh))
	if nw == w && nh == h {
		draw.Draw(scaled, scaled.Bounds(), src, b.Min, draw.Src)
	} else {
		draw.BiLinear.Scale(scaled, scaled.Bounds(), src, b, draw.Src, nil)
	}
	top := int(math.RoundToEven(float64(nh-size) / 2))
	left := int(math.RoundToEven(float64(nw-size) / 2))
	return scaled.SubImage(image.Rect(left, top, left+size, top+size)).(*image.RGBA)
}
