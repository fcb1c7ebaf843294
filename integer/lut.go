package integer

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register(OpLut, buildLut) }

// maxLutEntries bounds a Lut's table: every code of a 16-bit input.
const maxLutEntries = 1 << 16

// NewLut builds a Lut node, the generic elementwise table:
// y = table[clamp(x − inMin, 0, len(table) − 1)], written on outGrid. fn
// names the function the table samples ("gelu"): metadata for reports,
// never read by the kernel. Every table entry must lie on outGrid.
func NewLut(name, in, out string, table []int64, inMin int64, outGrid Grid, fn string) (*graph.Node, error) {
	if len(table) == 0 || len(table) > maxLutEntries {
		return nil, fmt.Errorf("lut %q: %d entries, want 1 … %d", name, len(table), maxLutEntries)
	}
	for i, v := range table {
		if v < outGrid.QMin() || v > outGrid.QMax() {
			return nil, fmt.Errorf("lut %q: entry %d = %d is off the output grid [%d, %d]", name, i, v, outGrid.QMin(), outGrid.QMax())
		}
	}
	attrs := nlF32Grid(outGrid).Attrs(map[string]graph.Attr{
		"table":  graph.IntsAttr(table...),
		"in_min": graph.IntAttr(inMin),
	})
	if fn != "" {
		attrs["function"] = graph.StringAttr(fn)
	}
	return &graph.Node{Name: name, Op: OpLut, Inputs: []string{in}, Outputs: []string{out}, Attrs: attrs}, nil
}

// lutKernel holds a Lut node's checked attributes.
type lutKernel struct {
	table []int64
	inMin int64
	out   Grid
}

func buildLut(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	k := &lutKernel{out: nlReadOutGrid(a), inMin: a.Int("in_min", 0)}
	a.String("function", "")
	for _, v := range a.Ints("table", nil) {
		if int64(v) < k.out.QMin() || int64(v) > k.out.QMax() {
			a.Fail("table", "entry %d is off the output grid [%d, %d]", v, k.out.QMin(), k.out.QMax())
		}
		k.table = append(k.table, int64(v))
	}
	if len(k.table) == 0 || len(k.table) > maxLutEntries {
		a.Fail("table", "has %d entries, want 1 … %d", len(k.table), maxLutEntries)
	}
	return k, nil
}

func (k *lutKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	return nlSameShape(in, k.out, func(d tensor.DType) error { return checkIntInput("input", d) })
}

// Run looks every code up; codes outside the table (which the input grid
// rules out) read its nearest end.
func (k *lutKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(in) < 1 || in[0] == nil {
		return nil, fmt.Errorf("needs 1 input")
	}
	last := int64(len(k.table) - 1)
	y, err := nlRows(ctx, in[0], k.out, func(row []int64) {
		for j, v := range row {
			row[j] = k.table[Clamp(v-k.inMin, 0, last)]
		}
	})
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}
