package export

import (
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"t2c/fuse"
	"t2c/internal/npytest"
	"t2c/onnx"
	"t2c/quant"
	"t2c/tensor"
)

// TestWriteConvertedResNet exports the integer graph package fuse makes of
// the PyTorch ResNet fixture (W8A8 after calibration): residual IntAdds,
// downsample convolutions, global pooling and the final IntMatMul. Every
// layer's files hold the golden runtime's values, every xcol reproduces
// its accumulator, and every GEMM's tiles reproduce it tile by tile.
func TestWriteConvertedResNet(t *testing.T) {
	g, err := onnx.Load("../testdata/pytorch/resnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	batch := npytest.Float32(t, "../testdata/pytorch/resnet.input.npy")
	if _, err := quant.Insert(g, quant.Options{WBits: 8, ABits: 8}); err != nil {
		t.Fatal(err)
	}
	if err := quant.Calibrate(g, batch); err != nil {
		t.Fatal(err)
	}
	if err := quant.SetMode(g, quant.ModeQuantize); err != nil {
		t.Fatal(err)
	}
	x := crop(batch, 0, 32)
	res, err := fuse.Convert(g, map[string][]int{g.Inputs[0].Name: x.Shape()}, fuse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "resnet")
	m, err := Write(dir, res.Graph, []*tensor.Tensor{x}, Options{PE: 8, Formats: []string{FormatNPY, FormatHex}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != len(res.Graph.Nodes) {
		t.Errorf("manifest has %d nodes, the graph %d", len(m.Nodes), len(res.Graph.Nodes))
	}
	vals := golden(t, res.Graph, x)
	ops := map[string]int{}
	for _, l := range m.Layers {
		ops[l.Op]++
		roles := map[string]*Value{"x1": l.X1, "x2": l.X2, "acc": l.Acc, "y": l.Y}
		for i := range l.YMore {
			roles["y"+strconv.Itoa(i+2)] = &l.YMore[i]
		}
		for role, v := range roles {
			if v == nil {
				continue
			}
			want := vals[v.Name]
			if want == nil {
				want = res.Graph.Params[v.Name]
			}
			if want == nil {
				want = x
			}
			assertSameTensor(t, readNPYFile(t, dir, l.Files[0][role][0]), want)
		}
		if l.GEMM == nil {
			continue
		}
		acc := mustInts(t, vals[l.Acc.Name])
		if l.Op == opIntConv {
			w := mustInts(t, res.Graph.Params[l.X2.Name])
			xcol := mustInts(t, readNPYFile(t, dir, l.Files[0]["xcol"][0]))
			g := l.GEMM
			var got []int64
			for gi := range g.Groups {
				got = append(got, matmulZP(w[gi*g.M*g.K:(gi+1)*g.M*g.K], xcol[gi*g.K*g.N:(gi+1)*g.K*g.N], g.M, g.K, g.N, g.AZeroPoint, g.BZeroPoint)...)
			}
			if !slices.Equal(got, acc) {
				t.Errorf("layer %q: W·(xcol − z) differs from the accumulator", l.Name)
			}
		} else {
			acc = transposeGroups(acc, l.GEMM.Groups, l.GEMM.N, l.GEMM.M)
		}
		checkTiles(t, dir, l, acc)
	}
	t.Logf("layers by op: %v", ops)
	if ops[opIntConv] != 9 || ops[opIntMatMul] != 1 || ops[opIntAdd] != 3 {
		t.Errorf("layers by op %v: want 9 IntConv, 1 IntMatMul, 3 IntAdd", ops)
	}
	if l := layerByName(t, m, "layer1.0.conv1"); l.Op != opIntConv || len(l.Nodes) < 2 {
		t.Errorf("layer1.0.conv1: %+v", l)
	}
	// conv1 feeds layer1.0.conv1 (8-bit) and the residual add (a wide
	// grid): two Requants of one accumulator, y and y2, each with its
	// own rescale arrays.
	l := layerByName(t, m, "conv1")
	if l.Y == nil || l.Y.Bits != 8 || len(l.YMore) != 1 || l.YMore[0].Bits != 32 {
		t.Fatalf("conv1 outputs y %+v, more %+v", l.Y, l.YMore)
	}
	assertSameTensor(t, readNPYFile(t, dir, l.Files[0]["y2"][0]), vals[l.YMore[0].Name])
	second := nodeByName(t, m, l.Nodes[len(l.Nodes)-1])
	if p := paramByName(t, m, FileStem(second.Name)+".multiplier"); p.Node != second.Name {
		t.Errorf("second Requant's multiplier %+v", p)
	}
	if p := paramByName(t, m, "conv1.multiplier"); p.Node == second.Name {
		t.Errorf("conv1.multiplier belongs to %s, want the first Requant", p.Node)
	}
}

// transposeGroups transposes each of groups row-major rows×cols matrices.
func transposeGroups(v []int64, groups, rows, cols int) []int64 {
	out := make([]int64, 0, len(v))
	for g := range groups {
		m := v[g*rows*cols : (g+1)*rows*cols]
		for j := range cols {
			for i := range rows {
				out = append(out, m[i*cols+j])
			}
		}
	}
	return out
}
