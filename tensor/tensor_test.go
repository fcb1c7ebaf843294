package tensor

import (
	"slices"
	"testing"
)

func f32(shape []int, v ...float32) *Tensor { return New(shape, v) }

func TestBroadcastShapes(t *testing.T) {
	got, err := BroadcastShapes([]int{2, 1, 3}, []int{4, 1}, []int{})
	if err != nil || !slices.Equal(got, []int{2, 4, 3}) {
		t.Fatalf("got %v, %v; want [2 4 3]", got, err)
	}
	if _, err := BroadcastShapes([]int{2, 3}, []int{4}); err == nil {
		t.Fatal("2×3 with 4 must not broadcast")
	}
}

func TestBinaryBroadcast(t *testing.T) {
	a := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	b := f32([]int{2, 1}, 10, 20)
	out, err := Binary(a, b, func(x, y float32) float32 { return x + y })
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{11, 12, 13, 24, 25, 26}; !slices.Equal(out.Float32(), want) {
		t.Fatalf("got %v, want %v", out.Float32(), want)
	}
	row := f32([]int{3}, 1, 0, -1)
	out, _ = Binary(a, row, func(x, y float32) float32 { return x * y })
	if want := []float32{1, 0, -3, 4, 0, -6}; !slices.Equal(out.Float32(), want) {
		t.Fatalf("row broadcast: got %v, want %v", out.Float32(), want)
	}
}

func TestTransposeAndConcat(t *testing.T) {
	a := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	tr, err := Transpose(a, []int{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 4, 2, 5, 3, 6}; !slices.Equal(tr.Float32(), want) || !slices.Equal(tr.Shape(), []int{3, 2}) {
		t.Fatalf("transpose: %v %v", tr.Shape(), tr.Float32())
	}
	c, err := Concat([]*Tensor{a, f32([]int{2, 1}, 7, 8)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 2, 3, 7, 4, 5, 6, 8}; !slices.Equal(c.Float32(), want) {
		t.Fatalf("concat: %v", c.Float32())
	}
	i64 := New([]int{1, 2}, []int64{1 << 40, -3})
	c2, err := Concat([]*Tensor{i64, i64}, 0)
	if err != nil || !slices.Equal(c2.Int64(), []int64{1 << 40, -3, 1 << 40, -3}) {
		t.Fatalf("int64 concat: %v %v", c2, err)
	}
}

func TestSliceGatherTile(t *testing.T) {
	a := f32([]int{3, 4}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	s, err := Slice(a, []int{0, 1}, []int{2, 3}, []int{-1, 0}, []int{-1, -2})
	if err != nil {
		t.Fatal(err)
	}
	// rows 2,1,0 reversed; columns 3,1
	if want := []float32{11, 9, 7, 5, 3, 1}; !slices.Equal(s.Float32(), want) || !slices.Equal(s.Shape(), []int{3, 2}) {
		t.Fatalf("slice: %v %v", s.Shape(), s.Float32())
	}
	g, err := Gather(a, 1, []int{3, 0}, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{3, 0, 7, 4, 11, 8}; !slices.Equal(g.Float32(), want) {
		t.Fatalf("gather: %v", g.Float32())
	}
	tl, err := Tile(f32([]int{1, 2}, 1, 2), []int{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 2, 1, 2, 1, 2, 1, 2}; !slices.Equal(tl.Float32(), want) || !slices.Equal(tl.Shape(), []int{2, 4}) {
		t.Fatalf("tile: %v %v", tl.Shape(), tl.Float32())
	}
}

func TestReduceAndWhere(t *testing.T) {
	a := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	sum := Reduce(a, []int{0}, false, 0, func(acc, v float32) float32 { return acc + v })
	if want := []float32{5, 7, 9}; !slices.Equal(sum.Float32(), want) || !slices.Equal(sum.Shape(), []int{3}) {
		t.Fatalf("reduce axis 0: %v %v", sum.Shape(), sum.Float32())
	}
	mx := Reduce(a, []int{1}, true, -1e30, func(acc, v float32) float32 { return max(acc, v) })
	if want := []float32{3, 6}; !slices.Equal(mx.Float32(), want) || !slices.Equal(mx.Shape(), []int{2, 1}) {
		t.Fatalf("reduce axis 1: %v %v", mx.Shape(), mx.Float32())
	}
	cond := New([]int{2, 1}, []bool{true, false})
	w, err := Where(cond, a, f32(nil, -1))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 2, 3, -1, -1, -1}; !slices.Equal(w.Float32(), want) {
		t.Fatalf("where: %v", w.Float32())
	}
}

func TestCastAndStorage(t *testing.T) {
	a := f32([]int{4}, -1.7, 0, 2.9, 300)
	i8 := Cast(a, Int32)
	if want := []int32{-1, 0, 2, 300}; !slices.Equal(i8.Int32(), want) {
		t.Fatalf("cast: %v", i8.Int32())
	}
	r := a.MustReshape(2, 2)
	if r.StorageID() != a.StorageID() || a.Clone().StorageID() == a.StorageID() {
		t.Fatal("reshape must share storage and clone must not")
	}
}
