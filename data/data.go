// Package data provides labelled image datasets, per-image transforms and a
// batched, prefetching loader that turns them into N×C×H×W float32 tensors.
//
// # Design
//
// A Dataset is random access: Image(i, dst) writes image i as float32 CHW
// values in [0,1] (pixel/255, as torchvision's ToTensor) into a caller-owned
// buffer and returns its label. Datasets keep their pixels in the cheapest
// form available — uint8 in memory for IDX (MNIST, Fashion-MNIST) and CIFAR
// binaries, file paths decoded on demand for image folders — and convert
// only when asked, so a loader can fetch images in any order from several
// goroutines at once. Every Dataset must therefore be safe for concurrent
// calls to Image.
//
// Transforms (Normalize, RandomCrop, RandomHFlip) act on one CHW image. A
// random transform draws from a *rand.Rand that the Loader derives from
// (Seed, epoch, dataset index), so augmentation is reproducible and does not
// depend on which worker goroutine handled the image.
//
// The Loader shuffles indices per epoch (again derived from Seed and the
// epoch number), fills each batch with Workers goroutines, and prepares up
// to Prefetch batches ahead in a background goroutine. Epoch returns a Go
// range-over-func iterator; breaking out of the loop stops and waits for
// every goroutine it started. Iter offers the same stream in pull style
// (Next/Err/Close) for callers that interleave batches with other work.
//
// Open maps a short spec such as "cifar10:/data/cifar" or "fashion-mnist"
// to a Dataset plus the Preset (normalisation constants) that goes with it.
// The first 2,000 Fashion-MNIST test images are embedded in the package so
// that "fashion-mnist" works without any files on disk.
package data

// Dataset is random-access labelled images. Implementations must allow
// concurrent calls to Image.
type Dataset interface {
	// Len is the number of images.
	Len() int
	// Shape is the channels, height and width of the stored images, before
	// any transform.
	Shape() (c, h, w int)
	// Classes is the number of distinct labels; labels are 0..Classes()-1.
	Classes() int
	// Image writes image i as float32 CHW scaled to [0,1] into dst (len
	// c*h*w) and returns its label. It panics if i is out of range or the
	// image cannot be read (see CheckedDataset).
	Image(i int, dst []float32) (label int)
}

// CheckedDataset is a Dataset whose reads can fail at run time, such as one
// that decodes image files lazily. The Loader calls ReadImage instead of
// Image when a dataset provides it and reports the error from the iterator
// rather than panicking.
type CheckedDataset interface {
	Dataset
	// ReadImage is Image with the failure returned instead of panicking.
	ReadImage(i int, dst []float32) (label int, err error)
}
