package data

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestEmbeddedFashionMNIST(t *testing.T) {
	ds, p, err := Open("fashion-mnist", "test")
	if err != nil {
		t.Fatal(err)
	}
	if c, h, w := ds.Shape(); ds.Len() != EmbeddedFashionMNISTLen || ds.Len() != 2000 || c != 1 || h != 28 || w != 28 || ds.Classes() != 10 {
		t.Fatalf("Len %d Shape %d,%d,%d Classes %d", ds.Len(), c, h, w, ds.Classes())
	}
	if p.Name != "fashion-mnist" || !slices.Equal(p.Mean, []float32{0.2860}) || !slices.Equal(p.Std, []float32{0.3530}) {
		t.Errorf("preset %+v", p)
	}
	// The Fashion-MNIST test set starts with labels
	// 9 2 1 1 6 1 4 6 5 7 (ankle boot, pullover, trouser, trouser, shirt, ...).
	img := make([]float32, 28*28)
	for i, want := range []int{9, 2, 1, 1, 6, 1, 4, 6, 5, 7} {
		if got := ds.Image(i, img); got != want {
			t.Errorf("embedded label %d = %d, want %d", i, got, want)
		}
	}
	counts := make([]int, 10)
	for i := range ds.Len() {
		counts[ds.Image(i, img)]++
	}
	for c, n := range counts {
		if n < 150 || n > 250 {
			t.Errorf("class %d has %d of 2000 images; Fashion-MNIST is balanced", c, n)
		}
	}

	if _, err := os.Stat(DefaultFashionMNISTDir); err != nil {
		t.Logf("skipping comparison with the full test set: %v", err)
		return
	}
	full, _, err := Open("fashion-mnist-full", "test")
	if err != nil {
		t.Fatal(err)
	}
	if full.Len() != 10000 {
		t.Fatalf("full test set has %d images", full.Len())
	}
	want := make([]float32, 28*28)
	for i := range ds.Len() {
		l, wl := ds.Image(i, img), full.Image(i, want)
		if l != wl || (i < 50 || i == 1999) && !slices.Equal(img, want) {
			t.Fatalf("embedded image %d (label %d) differs from %s (label %d)", i, l, DefaultFashionMNISTDir, wl)
		}
	}
}

func TestOpenSpecs(t *testing.T) {
	// An MNIST-layout directory: gzipped test files, raw train files.
	dir := t.TempDir()
	img, lbl := testIDX()
	writeFile(t, dir, "t10k-images-idx3-ubyte.gz", gz(t, img))
	writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", gz(t, lbl))
	writeFile(t, dir, "train-images-idx3-ubyte", img)
	writeFile(t, dir, "train-labels-idx1-ubyte", lbl)
	for _, spec := range []string{"mnist:" + dir, "fashion-mnist:" + dir} {
		for _, split := range []string{"train", "test"} {
			ds, p, err := Open(spec, split)
			if err != nil {
				t.Fatalf("%s %s: %v", spec, split, err)
			}
			if ds.Len() != 3 || len(p.Mean) != 1 {
				t.Errorf("%s %s: Len %d preset %+v", spec, split, ds.Len(), p)
			}
		}
	}
	_, p, _ := Open("mnist:"+dir, "test")
	if p.Mean[0] != 0.1307 || p.Std[0] != 0.3081 {
		t.Errorf("MNIST preset %+v", p)
	}
	p.Mean[0] = 5 // presets are copies
	if _, p, _ = Open("mnist:"+dir, "test"); p.Mean[0] != 0.1307 {
		t.Error("modifying a returned preset changed the next one")
	}

	cdir := t.TempDir()
	writeFile(t, cdir, "cifar-10-batches-bin/test_batch.bin", cifarRecords(0, 2, func(int) []byte { return []byte{4} }))
	ds, p, err := Open("cifar10:"+cdir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 2 || p.Name != "cifar10" || !slices.Equal(p.Std, []float32{0.2470, 0.2435, 0.2616}) || len(p.Transforms(true)) != 3 || len(p.Transforms(false)) != 1 {
		t.Errorf("cifar10: Len %d preset %+v", ds.Len(), p)
	}
	writeFile(t, cdir, "test.bin", cifarRecords(0, 1, func(int) []byte { return []byte{1, 99} }))
	if ds, p, err := Open("cifar100:"+cdir, "test"); err != nil || ds.Len() != 1 || p.Mean[0] != 0.5071 {
		t.Errorf("cifar100: %v %+v", err, p)
	}

	// Folder with train/test sub-folders and an @SIZE suffix.
	fdir := t.TempDir()
	makeFolder(t, filepath.Join(fdir, "train"))
	makeFolder(t, filepath.Join(fdir, "test"))
	if err := os.RemoveAll(filepath.Join(fdir, "test", "cat")); err != nil {
		t.Fatal(err)
	}
	ds, p, err = Open("folder:"+fdir+"@8", "train")
	if err != nil {
		t.Fatal(err)
	}
	if c, h, w := ds.Shape(); ds.Len() != 4 || c != 3 || h != 8 || w != 8 || p.Mean[0] != 0.485 {
		t.Errorf("folder train: Len %d Shape %d,%d,%d", ds.Len(), c, h, w)
	}
	if ds, _, err = Open("folder:"+fdir, "test"); err != nil || ds.Len() != 2 {
		t.Fatalf("folder test: %v", err)
	}
	if _, h, _ := ds.Shape(); ds.(*Folder).ClassNames()[0] != "dog" || h != DefaultFolderSize {
		t.Errorf("folder test: classes %v, size %d", ds.(*Folder).ClassNames(), h)
	}
	// Without split sub-folders, DIR serves both splits.
	if ds, _, err = Open("folder:"+filepath.Join(fdir, "train")+"@2", "test"); err != nil || ds.Len() != 4 {
		t.Errorf("unsplit folder: %v", err)
	}
}

func TestOpenSpecErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		spec, split string
		fragments   []string
	}{
		{"fashion-mnist", "train", []string{"only", "test", "embedded", "fashion-mnist:DIR"}},
		{"imagenet:/x", "test", []string{`unknown dataset "imagenet"`, "mnist:DIR", "cifar10:DIR", "cifar100:DIR", "folder:DIR"}},
		{"fashion-mnist", "val", []string{`split "val"`}},
		{"mnist:" + dir + "/nope", "test", []string{dir + "/nope"}},
		{"mnist:", "test", []string{"missing directory"}},
		{"mnist:" + dir, "test", []string{"missing file", filepath.Join(dir, "t10k-images-idx3-ubyte")}},
		{"cifar10:" + dir, "train", []string{filepath.Join(dir, "data_batch_1.bin")}},
		{"cifar100:" + dir + "/nope", "train", []string{dir + "/nope"}},
		{"folder:" + dir + "/nope@32", "train", []string{dir + "/nope"}},
		{"folder:" + dir + "@0", "train", []string{"size 0"}},
	} {
		_, _, err := Open(c.spec, c.split)
		wantErr(t, err, c.fragments...)
	}
	// Only a labels file missing.
	img, _ := testIDX()
	writeFile(t, dir, "t10k-images-idx3-ubyte", img)
	_, _, err := Open("mnist:"+dir, "test")
	wantErr(t, err, filepath.Join(dir, "t10k-labels-idx1-ubyte"))
	// A split folder without the requested split.
	makeFolder(t, filepath.Join(dir, "f", "train"))
	_, _, err = Open("folder:"+filepath.Join(dir, "f"), "test")
	wantErr(t, err, "no test (or val) sub-folder")
}
