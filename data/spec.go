package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DefaultFashionMNISTDir is where Debian's dataset-fashion-mnist package
// installs the full Fashion-MNIST ({train,t10k}-*-ubyte.gz). It is used for
// the specs "fashion-mnist:" (empty directory) and "fashion-mnist-full".
const DefaultFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// DefaultFolderSize is the image size of "folder:DIR" without "@SIZE".
const DefaultFolderSize = 224

// specHelp lists the accepted specs for error messages.
const specHelp = "fashion-mnist (embedded test subset), fashion-mnist:DIR, fashion-mnist-full, mnist:DIR, cifar10:DIR, cifar100:DIR, folder:DIR[@SIZE]"

// Preset holds the conventional preprocessing of a dataset.
type Preset struct {
	// Name is the dataset kind: fashion-mnist, mnist, cifar10, cifar100
	// or folder.
	Name string
	// Mean and Std are the per-channel normalisation constants.
	Mean, Std []float32
	// Augment is the usual training-time augmentation, to run before
	// Normalize; Open does not apply it.
	Augment []Transform
}

// Normalize returns the preset's normalisation transform.
func (p Preset) Normalize() Normalize { return Normalize{Mean: p.Mean, Std: p.Std} }

// Transforms returns the loader transforms for training (Augment, then
// Normalize) or evaluation (Normalize only).
func (p Preset) Transforms(train bool) []Transform {
	var ts []Transform
	if train {
		ts = append(ts, p.Augment...)
	}
	return append(ts, p.Normalize())
}

// Presets, with the normalisation constants used by torchvision recipes.
var (
	fashionPreset = Preset{Name: "fashion-mnist", Mean: []float32{0.2860}, Std: []float32{0.3530}}
	mnistPreset   = Preset{Name: "mnist", Mean: []float32{0.1307}, Std: []float32{0.3081}}
	cifar10Preset = Preset{Name: "cifar10",
		Mean:    []float32{0.4914, 0.4822, 0.4465},
		Std:     []float32{0.2470, 0.2435, 0.2616},
		Augment: []Transform{RandomCrop{Size: 32, Padding: 4}, RandomHFlip{P: 0.5}}}
	cifar100Preset = Preset{Name: "cifar100",
		Mean:    []float32{0.5071, 0.4865, 0.4409},
		Std:     []float32{0.2673, 0.2564, 0.2762},
		Augment: []Transform{RandomCrop{Size: 32, Padding: 4}, RandomHFlip{P: 0.5}}}
	folderPreset = Preset{Name: "folder",
		Mean:    []float32{0.485, 0.456, 0.406},
		Std:     []float32{0.229, 0.224, 0.225},
		Augment: []Transform{RandomHFlip{P: 0.5}}}
)

// Open opens the split ("train" or "test") of the dataset named by spec:
//
//	fashion-mnist          the embedded first 2,000 Fashion-MNIST test images
//	fashion-mnist:DIR      Fashion-MNIST IDX files in DIR (empty DIR: DefaultFashionMNISTDir)
//	fashion-mnist-full     Fashion-MNIST in DefaultFashionMNISTDir
//	mnist:DIR              MNIST IDX files in DIR
//	cifar10:DIR            CIFAR-10 binary version (see OpenCIFAR)
//	cifar100:DIR           CIFAR-100 binary version
//	folder:DIR[@SIZE]      image folder (see OpenFolder), SIZE default 224
//
// IDX directories hold {train,t10k}-images-idx3-ubyte and
// {train,t10k}-labels-idx1-ubyte, gzipped (.gz) or not. A folder DIR with a
// train, test or val sub-folder is split by them ("test" uses test, or val
// if there is no test); otherwise DIR itself serves both splits. The Preset
// carries the dataset's normalisation constants.
func Open(spec, split string) (Dataset, Preset, error) {
	if split != "train" && split != "test" {
		return nil, Preset{}, fmt.Errorf("data: split %q: want train or test", split)
	}
	train := split == "train"
	scheme, dir, hasDir := strings.Cut(spec, ":")
	var ds Dataset
	var p Preset
	var err error
	switch scheme {
	case "fashion-mnist", "fashion-mnist-full":
		p = fashionPreset
		if scheme == "fashion-mnist" && !hasDir {
			if train {
				return nil, p, errors.New("data: spec fashion-mnist: only the first 2,000 test images are embedded, so there is no train split; use fashion-mnist:DIR (or fashion-mnist-full for " + DefaultFashionMNISTDir + ")")
			}
			ds, err = embedded()
			break
		}
		if dir == "" {
			dir = DefaultFashionMNISTDir
		}
		ds, err = openIDXDir(scheme, dir, train)
		if err != nil && dir == DefaultFashionMNISTDir && !exists(dir) {
			err = fmt.Errorf("%w (install the Debian package dataset-fashion-mnist, or give fashion-mnist:DIR)", err)
		}
	case "mnist":
		p = mnistPreset
		ds, err = openIDXDir(scheme, dir, train)
	case "cifar10", "cifar100":
		p = cifar10Preset
		if scheme == "cifar100" {
			p = cifar100Preset
		}
		if err = checkDir(scheme, dir); err == nil {
			ds, err = OpenCIFAR(dir, scheme == "cifar100", train)
		}
	case "folder":
		p = folderPreset
		ds, err = openFolderSpec(dir, train)
	default:
		return nil, Preset{}, fmt.Errorf("data: unknown dataset %q in spec %q; valid specs: %s", scheme, spec, specHelp)
	}
	p = Preset{Name: p.Name, Mean: slices.Clone(p.Mean), Std: slices.Clone(p.Std), Augment: slices.Clone(p.Augment)}
	if err != nil {
		return nil, p, err
	}
	return ds, p, nil
}

// checkDir reports an error naming dir if it is empty or not a directory.
func checkDir(scheme, dir string) error {
	if dir == "" {
		return fmt.Errorf("data: spec %s: missing directory, want %s:DIR", scheme, scheme)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data: %s: directory %s does not exist or cannot be read: %w", scheme, dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("data: %s: %s is not a directory", scheme, dir)
	}
	return nil
}

// openIDXDir opens the train or t10k IDX pair in dir.
func openIDXDir(scheme, dir string, train bool) (Dataset, error) {
	if err := checkDir(scheme, dir); err != nil {
		return nil, err
	}
	prefix := "t10k"
	if train {
		prefix = "train"
	}
	images, err := findIDX(scheme, dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	labels, err := findIDX(scheme, dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	return OpenIDX(images, labels)
}

// findIDX returns dir/base.gz or dir/base, whichever exists.
func findIDX(scheme, dir, base string) (string, error) {
	p := filepath.Join(dir, base)
	for _, c := range []string{p + ".gz", p} {
		if exists(c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("data: %s: missing file: neither %s.gz nor %s exists", scheme, p, p)
}

// openFolderSpec opens "DIR[@SIZE]" for the given split.
func openFolderSpec(arg string, train bool) (Dataset, error) {
	dir, size := arg, DefaultFolderSize
	if at := strings.LastIndexByte(arg, '@'); at >= 0 {
		if n, err := strconv.Atoi(arg[at+1:]); err == nil {
			if n <= 0 {
				return nil, fmt.Errorf("data: folder spec %q: size %d must be positive", arg, n)
			}
			dir, size = arg[:at], n
		}
	}
	if err := checkDir("folder", dir); err != nil {
		return nil, err
	}
	hasTrain, hasTest, hasVal := isDir(filepath.Join(dir, "train")), isDir(filepath.Join(dir, "test")), isDir(filepath.Join(dir, "val"))
	root := dir
	switch {
	case train && hasTrain:
		root = filepath.Join(dir, "train")
	case !train && hasTest:
		root = filepath.Join(dir, "test")
	case !train && hasVal:
		root = filepath.Join(dir, "val")
	case hasTrain || hasTest || hasVal:
		want := "train"
		if !train {
			want = "test (or val)"
		}
		return nil, fmt.Errorf("data: folder %s is split into sub-folders but has no %s sub-folder", dir, want)
	}
	f, err := OpenFolder(root, size)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// isDir reports whether path is a directory.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
