package export

import (
	"path/filepath"
	"slices"
	"testing"

	"t2c/graph"
	"t2c/integer"
)

// TestWritePassThroughAndTables extends the convolution with an ONNX
// MaxPool (no grid of its own), a Lut and a global IntAvgPool: pass-through
// values keep their producer's grid, the table and the pool's rescale are
// exported as parameter arrays.
func TestWritePassThroughAndTables(t *testing.T) {
	g, samples := convFixture(t, 8)
	outGrid, _ := integer.GridOf(g.Nodes[2])
	table := make([]int64, 256)
	for i := range table {
		table[i] = int64(255 - i)
	}
	lut, err := integer.NewLut("act/lut", "pool", "act", table, 0, outGrid, "reverse")
	if err != nil {
		t.Fatal(err)
	}
	g.Nodes = append(g.Nodes,
		&graph.Node{Name: "maxpool", Op: "MaxPool", Inputs: []string{"y"}, Outputs: []string{"pool"},
			Attrs: map[string]graph.Attr{"kernel_shape": graph.IntsAttr(2, 2), "strides": graph.IntsAttr(2, 2)}},
		lut,
		integer.NewIntAvgPool("gap", "act", "gap", integer.IntAvgPoolParams{Global: true, Multiplier: 1 << 20, Shift: 24, Out: outGrid, Layer: "avgpool"}),
	)
	g.Outputs = []graph.ValueInfo{{Name: "gap"}}
	dir := filepath.Join(t.TempDir(), "out")
	m, err := Write(dir, g, samples[:1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	pool := nodeByName(t, m, "maxpool").Outputs[0]
	if pool.Bits != 8 || pool.Signed || pool.Grid == nil || pool.Grid.Scale[0] != float32(outGrid.Scale[0]) {
		t.Errorf("MaxPool output %+v: want the Requant's 8-bit unsigned grid", pool)
	}
	tab := paramByName(t, m, "act_lut.table")
	if tab.Word != (Word{8, false}) || tab.Elements != 256 || tab.Source != "attribute" {
		t.Errorf("table entry %+v", tab)
	}
	if got := readHexFile(t, dir, "params/act_lut.table.hex", tab.Word); !slices.Equal(got, table) {
		t.Error("table hex differs")
	}
	if p := paramByName(t, m, "avgpool.multiplier"); p.Min != 1<<20 || p.Word != (Word{32, true}) {
		t.Errorf("avgpool multiplier %+v", p)
	}
	vals := golden(t, g, samples[0])
	l := layerByName(t, m, "avgpool")
	assertSameTensor(t, readNPYFile(t, dir, l.Files[0]["y"][0]), vals["gap"])
	assertSameTensor(t, readNPYFile(t, dir, l.Files[0]["x1"][0]), vals["act"])
}
