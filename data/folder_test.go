package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writePNG encodes img as PNG at dir/name.
func writePNG(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, buf.Bytes())
}

// writeJPEG encodes img as quality-100 JPEG at dir/name.
func writeJPEG(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, buf.Bytes())
}

// rgbA is the test colour of pixel (x, y) of cat/a.png.
func rgbA(x, y int) [3]uint8 { return [3]uint8{uint8(16*y + 3*x), uint8(200 - 10*x), uint8(50 * y)} }

// grayB is the test value of pixel (x, y) of cat/sub/b.png.
func grayB(x, y int) uint8 { return uint8(30*y + x) }

// makeFolder writes a two-class image folder into dir:
//
//	cat/a.png      4×4 RGBA, colours rgbA, pixel (0,0) fully transparent
//	cat/sub/b.png  4 wide × 9 tall grayscale, values grayB
//	dog/c.jpg      6×6 JPEG, uniform (200, 100, 50)
//	dog/wide.png   8 wide × 4 tall RGB, red = 20*x
//
// plus files that must be ignored.
func makeFolder(t *testing.T, dir string) {
	a := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := range 4 {
			c := rgbA(x, y)
			a.Set(x, y, color.NRGBA{c[0], c[1], c[2], 255})
		}
	}
	a.Set(0, 0, color.NRGBA{255, 255, 255, 0})
	writePNG(t, dir, "cat/a.png", a)
	b := image.NewGray(image.Rect(0, 0, 4, 9))
	for y := range 9 {
		for x := range 4 {
			b.SetGray(x, y, color.Gray{grayB(x, y)})
		}
	}
	writePNG(t, dir, "cat/sub/b.png", b)
	c := image.NewRGBA(image.Rect(0, 0, 6, 6))
	for y := range 6 {
		for x := range 6 {
			c.Set(x, y, color.RGBA{200, 100, 50, 255})
		}
	}
	writeJPEG(t, dir, "dog/c.jpg", c)
	w := image.NewRGBA(image.Rect(0, 0, 8, 4))
	for y := range 4 {
		for x := range 8 {
			w.Set(x, y, color.RGBA{uint8(20 * x), 0, 0, 255})
		}
	}
	writePNG(t, dir, "dog/wide.png", w)
	writeFile(t, dir, "dog/notes.txt", []byte("not an image"))
	writeFile(t, dir, "readme.md", []byte("top-level file, not a class"))
	writePNG(t, dir, ".hidden/x.png", w)
}

func TestOpenFolder(t *testing.T) {
	dir := t.TempDir()
	makeFolder(t, dir)
	f, err := OpenFolder(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.ClassNames(); !slices.Equal(got, []string{"cat", "dog"}) || f.Classes() != 2 {
		t.Fatalf("classes %v (%d)", got, f.Classes())
	}
	if c, h, w := f.Shape(); f.Len() != 4 || c != 3 || h != 4 || w != 4 {
		t.Fatalf("Len %d Shape %d,%d,%d", f.Len(), c, h, w)
	}
	wantPaths := []string{"cat/a.png", "cat/sub/b.png", "dog/c.jpg", "dog/wide.png"}
	for i, p := range wantPaths {
		if f.Path(i) != filepath.Join(dir, p) {
			t.Errorf("Path(%d) = %s, want %s", i, f.Path(i), p)
		}
	}
	img := make([]float32, 3*16)
	at := func(c, x, y int) float32 { return img[c*16+y*4+x] }

	if l := f.Image(0, img); l != 0 {
		t.Errorf("a.png label %d", l)
	}
	for y := range 4 {
		for x := range 4 {
			want := rgbA(x, y)
			if x == 0 && y == 0 {
				want = [3]uint8{} // transparent: composited over black
			}
			for c := range 3 {
				if got := at(c, x, y); got != float32(want[c])/255 {
					t.Errorf("a.png (%d,%d) channel %d = %v, want %v/255", x, y, c, got, want[c])
				}
			}
		}
	}

	// 4×9 is already 4 on its short side: no resize, and the 4×4 crop
	// starts at row round-half-even(2.5) = 2, as Python's round in
	// torchvision's CenterCrop. Gray fills all 3 channels.
	if l := f.Image(1, img); l != 0 {
		t.Errorf("b.png label %d", l)
	}
	for y := range 4 {
		for x := range 4 {
			for c := range 3 {
				if got, want := at(c, x, y), float32(grayB(x, y+2))/255; got != want {
					t.Errorf("b.png crop (%d,%d) channel %d = %v, want %v", x, y, c, got, want)
				}
			}
		}
	}

	// 6×6 JPEG of one colour, scaled to 4×4: still that colour.
	if l := f.Image(2, img); l != 1 {
		t.Errorf("c.jpg label %d", l)
	}
	for i, want := range []float64{200, 100, 50} {
		for p := range 16 {
			if got := float64(img[i*16+p]) * 255; math.Abs(got-want) > 3 {
				t.Fatalf("c.jpg channel %d pixel %d = %.1f/255, want about %v", i, p, got, want)
			}
		}
	}

	// 8 wide × 4 tall: no resize, crop columns 2..5.
	if l := f.Image(3, img); l != 1 {
		t.Errorf("wide.png label %d", l)
	}
	for y := range 4 {
		for x := range 4 {
			if got, want := at(0, x, y), float32(20*(x+2))/255; got != want || at(1, x, y) != 0 || at(2, x, y) != 0 {
				t.Errorf("wide.png (%d,%d) = %v,%v,%v, want red %v", x, y, got, at(1, x, y), at(2, x, y), want)
			}
		}
	}
}

func TestFolderResize(t *testing.T) {
	// 16 wide × 8 tall: left half black, right half white. Size 4 scales it
	// to 8×4 and keeps columns 2..5 of that, which straddle the edge.
	dir := t.TempDir()
	src := image.NewGray(image.Rect(0, 0, 16, 8))
	for y := range 8 {
		for x := 8; x < 16; x++ {
			src.SetGray(x, y, color.Gray{255})
		}
	}
	writePNG(t, dir, "only/edge.png", src)
	f, err := OpenFolder(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	img := make([]float32, 3*16)
	f.Image(0, img)
	for y := range 4 {
		row := img[y*4 : y*4+4]
		if !slices.Equal(row, img[:4]) || !slices.Equal(img[16+y*4:16+y*4+4], row) {
			t.Errorf("row %d = %v differs from row 0 %v or from channel 1", y, row, img[:4])
		}
	}
	// Antialiased bilinear (triangle filter stretched by the scale factor
	// 2, as PIL): output column 3 is centred on source x = 6.5 and weighs
	// source columns 5..8 by 1,3,3,1 (/8), so it is 1/8 white; column 4
	// mirrors it at 7/8.
	for x, want := range []float64{0, 0.125, 0.875, 1} {
		if got := float64(img[x]); math.Abs(got-want) > 1.5/255 {
			t.Errorf("edge row %v: column %d want %v", img[:4], x, want)
		}
	}
}

func TestFolderErrors(t *testing.T) {
	dir := t.TempDir()
	makeFolder(t, dir)
	bad := writeFile(t, dir, "dog/zz-broken.png", []byte("\x89PNG\r\n\x1a\nnot really"))
	f, err := OpenFolder(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.ReadImage(f.Len()-1, make([]float32, 48))
	wantErr(t, err, bad)
	var loadErr error
	for _, err := range NewLoader(f, LoaderOptions{BatchSize: 2}).Epoch(0) {
		loadErr = err
	}
	wantErr(t, loadErr, bad)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Image of a broken file did not panic")
			}
		}()
		f.Image(f.Len()-1, make([]float32, 48))
	}()

	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = OpenFolder(dir, 4)
	wantErr(t, err, filepath.Join(dir, "empty"), "no .png")

	_, err = OpenFolder(t.TempDir(), 4)
	wantErr(t, err, "no class sub-folders")
	_, err = OpenFolder(dir+"/missing", 4)
	wantErr(t, err, dir+"/missing")
}
