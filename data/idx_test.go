package data

import (
	"testing"
)

// Three 2×3 images: pixel k of image i is 40*i + k, except image 2 pixel 5
// which is 255; labels 3, 0, 7.
func testIDX() (images, labels []byte) {
	pix := make([]byte, 3*6)
	for i := range 3 {
		for k := range 6 {
			pix[i*6+k] = byte(40*i + k)
		}
	}
	pix[17] = 255
	return idxBytes(0x803, []int{3, 2, 3}, pix), idxBytes(0x801, []int{3}, []byte{3, 0, 7})
}

func TestOpenIDX(t *testing.T) {
	img, lbl := testIDX()
	dir := t.TempDir()
	for _, c := range []struct {
		name     string
		img, lbl []byte
	}{
		{"raw", img, lbl},
		{"gzip", gz(t, img), gz(t, lbl)},
		{"mixed", gz(t, img), lbl},
	} {
		t.Run(c.name, func(t *testing.T) {
			ds, err := OpenIDX(writeFile(t, dir, c.name+"-img", c.img), writeFile(t, dir, c.name+"-lbl", c.lbl))
			if err != nil {
				t.Fatal(err)
			}
			if ch, h, w := ds.Shape(); ds.Len() != 3 || ch != 1 || h != 2 || w != 3 || ds.Classes() != 8 {
				t.Fatalf("Len %d Shape %d,%d,%d Classes %d; want 3, 1,2,3, 8", ds.Len(), ch, h, w, ds.Classes())
			}
			dst := make([]float32, 6)
			for i, wantLabel := range []int{3, 0, 7} {
				if got := ds.Image(i, dst); got != wantLabel {
					t.Errorf("image %d label %d, want %d", i, got, wantLabel)
				}
				for k, v := range dst {
					want := float32(40*i+k) / 255
					if i == 2 && k == 5 {
						want = 1
					}
					if v != want {
						t.Errorf("image %d pixel %d = %v, want %v", i, k, v, want)
					}
				}
			}
		})
	}
}

func TestOpenIDXErrors(t *testing.T) {
	img, lbl := testIDX()
	dir := t.TempDir()
	good := writeFile(t, dir, "good-images", img)
	goodLbl := writeFile(t, dir, "good-labels", lbl)
	for _, c := range []struct {
		name     string
		img, lbl []byte // nil: use the good file
		badFile  string // which file the error must name: "images" or "labels"
		fragment string
	}{
		{name: "bad image magic", img: idxBytes(0x801, []int{3}, []byte{1, 2, 3}), badFile: "images", fragment: "bad magic 0x00000801"},
		{name: "labels swapped", img: lbl, lbl: img, badFile: "images", fragment: "bad magic"},
		{name: "bad label magic", lbl: idxBytes(0x803, []int{3, 1, 1}, []byte{1, 2, 3}), badFile: "labels", fragment: "bad magic 0x00000803"},
		{name: "truncated pixels", img: img[:len(img)-1], badFile: "images", fragment: "truncated"},
		{name: "truncated header", img: img[:10], badFile: "images", fragment: "truncated"},
		{name: "truncated labels", lbl: lbl[:len(lbl)-2], badFile: "labels", fragment: "truncated"},
		{name: "trailing bytes", img: append(append([]byte{}, img...), 9), badFile: "images", fragment: "trailing"},
		{name: "count mismatch", lbl: idxBytes(0x801, []int{2}, []byte{1, 2}), badFile: "labels", fragment: "count mismatch"},
		{name: "truncated gzip", img: func() []byte { g := gz(t, img); return g[:len(g)-12] }(), badFile: "images", fragment: "gzip"},
		{name: "empty", img: []byte{}, badFile: "images", fragment: "truncated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ip, lp := good, goodLbl
			if c.img != nil {
				ip = writeFile(t, t.TempDir(), "images-file", c.img)
			}
			if c.lbl != nil {
				lp = writeFile(t, t.TempDir(), "labels-file", c.lbl)
			}
			_, err := OpenIDX(ip, lp)
			named := ip
			if c.badFile == "labels" {
				named = lp
			}
			wantErr(t, err, named, c.fragment)
		})
	}
	_, err := OpenIDX(dir+"/missing", goodLbl)
	wantErr(t, err, dir+"/missing")
}
