package export

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"t2c/graph"
	"t2c/tensor"
)

// cTypes are the <stdint.h> types of each storage dtype.
var cTypes = map[tensor.DType]string{
	tensor.Bool: "uint8_t", tensor.Int8: "int8_t", tensor.Uint8: "uint8_t", tensor.Int16: "int16_t",
	tensor.Uint16: "uint16_t", tensor.Int32: "int32_t", tensor.Uint32: "uint32_t", tensor.Int64: "int64_t",
	tensor.Uint64: "uint64_t", tensor.Float32: "float", tensor.Float64: "double",
}

// writeCHeader writes params.h: every parameter as a static const array
// with #define'd shape, size and word, and every node's scalar integer
// attributes (zero points, lo, hi, …) as #defines.
func (e *exporter) writeCHeader(out io.Writer) error {
	w := bufio.NewWriter(out)
	guard := "T2C_" + strings.ToUpper(CIdent(e.opts.Name)) + "_PARAMS_H"
	fmt.Fprintf(w, "/* Parameters of the integer model %q, written by t2c export.\n", e.opts.Name)
	fmt.Fprintf(w, " * Layout and semantics: docs/EXPORT.md and docs/INTEGER.md; arrays are row-major. */\n")
	fmt.Fprintf(w, "#ifndef %s\n#define %s\n\n#include <stdint.h>\n", guard, guard)
	for _, p := range e.params {
		if err := writeCArray(w, p); err != nil {
			return fmt.Errorf("parameter %q: %w", p.entry.Name, err)
		}
	}
	defines := newUniqueNames(func(s string) string { return s })
	for _, l := range e.layers {
		for _, n := range l.nodes {
			writeCScalars(w, defines.take(strings.ToUpper(CIdent(l.stem+"_"+n.Op))), n)
		}
	}
	fmt.Fprintf(w, "\n#endif /* %s */\n", guard)
	return w.Flush()
}

// writeCArray writes one parameter's #defines and array.
func writeCArray(w *bufio.Writer, p *param) error {
	ctype, ok := cTypes[p.t.DType()]
	if !ok {
		return fmt.Errorf("no C type for %v", p.t.DType())
	}
	e := p.entry
	macro := strings.ToUpper(e.CName)
	fmt.Fprintf(w, "\n/* %s: %s %v, %v, sparsity %.4f", e.Name, e.DType, e.Shape, e.Word, e.Sparsity)
	if e.Source == "attribute" {
		fmt.Fprintf(w, ", attribute %s of node %s", e.Attr, strings.ReplaceAll(e.Node, "*/", "* /"))
	}
	fmt.Fprintf(w, " */\n#define %s_NDIM %d\n", macro, len(e.Shape))
	for i, d := range e.Shape {
		fmt.Fprintf(w, "#define %s_DIM%d %d\n", macro, i, d)
	}
	signed := 0
	if e.Signed {
		signed = 1
	}
	fmt.Fprintf(w, "#define %s_SIZE %d\n#define %s_BITS %d\n#define %s_SIGNED %d\n", macro, e.Elements, macro, e.Bits, macro, signed)
	size := max(e.Elements, 1) // C forbids empty arrays
	fmt.Fprintf(w, "static const %s %s[%d] = {", ctype, e.CName, size)
	lits, err := cLiterals(p.t)
	if err != nil {
		return err
	}
	if len(lits) == 0 {
		lits = []string{"0"}
	}
	for i, s := range lits {
		if i%16 == 0 {
			w.WriteString("\n   ")
		}
		w.WriteString(" " + s + ",")
	}
	w.WriteString("\n};\n")
	return nil
}

// writeCScalars writes a node's scalar int attributes as #defines.
func writeCScalars(w *bufio.Writer, prefix string, n *graph.Node) {
	var names []string
	for name, a := range n.Attrs {
		if a.Kind == graph.AttrInt {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	fmt.Fprintf(w, "\n/* node %s (%s) */\n", strings.ReplaceAll(n.Name, "*/", "* /"), n.Op)
	for _, name := range names {
		fmt.Fprintf(w, "#define %s_%s %s\n", prefix, strings.ToUpper(CIdent(name)), cInt(n.Attrs[name].Int, tensor.Int64))
	}
}

// cLiterals formats t's elements as C literals of its type.
func cLiterals(t *tensor.Tensor) ([]string, error) {
	out := make([]string, 0, t.Len())
	if t.DType().IsFloat() {
		bits := 32
		if t.DType() == tensor.Float64 {
			bits = 64
		}
		for _, v := range t.Float64s() {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("value %v has no C literal", v)
			}
			s := strconv.FormatFloat(v, 'g', -1, bits)
			if !strings.ContainsAny(s, ".e") {
				s += ".0"
			}
			if bits == 32 {
				s += "f"
			}
			out = append(out, s)
		}
		return out, nil
	}
	if u, ok := t.Raw().([]uint64); ok {
		for _, v := range u {
			out = append(out, "UINT64_C("+strconv.FormatUint(v, 10)+")")
		}
		return out, nil
	}
	vals, err := Ints(t)
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		out = append(out, cInt(v, t.DType()))
	}
	return out, nil
}

// cInt is an integer literal valid for dtype d: INT64_C for 64-bit
// values, a U suffix above INT32_MAX, and the minimum of a signed type
// written as (−max − 1).
func cInt(v int64, d tensor.DType) string {
	switch {
	case v == math.MinInt64:
		return "(-INT64_C(9223372036854775807) - 1)"
	case d == tensor.Int64 && (v > math.MaxInt32 || v < math.MinInt32):
		return "INT64_C(" + strconv.FormatInt(v, 10) + ")"
	case v == math.MinInt32:
		return "(-2147483647 - 1)"
	case v > math.MaxInt32:
		return strconv.FormatInt(v, 10) + "U"
	}
	return strconv.FormatInt(v, 10)
}
