package data

import (
	_ "embed" // for the Fashion-MNIST subset
	"sync"
)

// The first 2,000 images and labels of the Fashion-MNIST test set
// (t10k), as gzip-compressed IDX files with the count in the header set to
// 2,000. Regenerate with `go run ./data/internal/mkembed`.
var (
	//go:embed embedded/t10k-images-idx3-ubyte.gz
	embeddedImages []byte
	//go:embed embedded/t10k-labels-idx1-ubyte.gz
	embeddedLabels []byte
)

// EmbeddedFashionMNISTLen is the number of Fashion-MNIST test images
// embedded in the package (the first ones of the test set, in file order).
const EmbeddedFashionMNISTLen = 2000

// embedded decodes the embedded subset once; the Dataset is read-only and
// shared by every caller.
var embedded = sync.OnceValues(func() (Dataset, error) {
	img, err := maybeGunzip("embedded t10k-images-idx3-ubyte.gz", embeddedImages)
	if err != nil {
		return nil, err
	}
	lbl, err := maybeGunzip("embedded t10k-labels-idx1-ubyte.gz", embeddedLabels)
	if err != nil {
		return nil, err
	}
	ds, err := parseIDX("embedded t10k-images-idx3-ubyte.gz", img, "embedded t10k-labels-idx1-ubyte.gz", lbl)
	if err != nil {
		return nil, err
	}
	return ds, nil
})
