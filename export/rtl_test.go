package export

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"t2c/integer"
	"t2c/tensor"
)

// rtlDir holds the Verilog sources, relative to this package.
const rtlDir = "../rtl"

// needIverilog skips the test unless Icarus Verilog is installed.
func needIverilog(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"iverilog", "vvp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: install the Debian package iverilog to run the RTL check", tool)
		}
	}
}

// simulate compiles top from the rtl/ sources with parameters and runs it
// in dir.
func simulate(t *testing.T, dir, top string, sources []string, params map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"-g2005", "-Wall", "-o", filepath.Join(dir, top+".vvp"), "-s", top}
	for k, v := range params {
		args = append(args, "-P"+top+"."+k+"="+v)
	}
	for _, s := range sources {
		args = append(args, filepath.Join(rtlDir, s))
	}
	if out, err := exec.CommandContext(ctx, "iverilog", args...).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("iverilog %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	cmd := exec.CommandContext(ctx, "vvp", "-n", filepath.Join(dir, top+".vvp"))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vvp %s: %v\n%s", top, err, out)
	}
}

// verilogString quotes a file name as a Verilog string parameter.
func verilogString(s string) string { return strconv.Quote(filepath.ToSlash(s)) }

// TestRTLConvMatchesGolden exports the first ResNet convolution with
// PE = 6 (every GEMM dimension needs padding), simulates rtl/tb_conv.v
// on the exported tiles and rescale arrays, and compares every
// accumulator and output with the golden runtime bit for bit.
func TestRTLConvMatchesGolden(t *testing.T) {
	needIverilog(t)
	g, samples := convFixture(t, 14)
	dir := filepath.Join(t.TempDir(), "export")
	m, err := Write(dir, g, samples[:1], Options{PE: 6, Formats: []string{FormatHex}})
	if err != nil {
		t.Fatal(err)
	}
	l := layerByName(t, m, "conv1")
	gm, ti := l.GEMM, l.Tiles
	if gm.Groups != 1 || ti == nil || gm.BWord.Bits > 8 || gm.AWord.Bits > 8 {
		t.Fatalf("layer %+v does not fit tb_conv (one group, operands of at most 8 bits)", l)
	}
	if gm.M%ti.PE == 0 || gm.K%ti.PE == 0 || gm.N%ti.PE == 0 {
		t.Fatalf("GEMM %d×%d×%d needs padding in every dimension for this test", gm.M, gm.K, gm.N)
	}
	rq := nodeByName(t, m, l.Nodes[len(l.Nodes)-1])
	if rq.Op != integer.OpRequant {
		t.Fatalf("layer ends in %s, want Requant", rq.Op)
	}
	mult := paramByName(t, m, l.Stem+".multiplier")
	bits := func(w Word) string { return strconv.Itoa(w.Bits) }
	sgn := func(w Word) string { return map[bool]string{false: "0", true: "1"}[w.Signed] }
	file := func(rel string) string { return verilogString(filepath.Join(dir, filepath.FromSlash(rel))) }
	simulate(t, dir, "tb_conv", []string{"tb_conv.v", "mac_array.v", "requant.v"}, map[string]string{
		"P": strconv.Itoa(ti.PE), "M": strconv.Itoa(gm.M), "K": strconv.Itoa(gm.K), "N": strconv.Itoa(gm.N),
		"MB": strconv.Itoa(ti.MBlocks), "KB": strconv.Itoa(ti.KBlocks), "NB": strconv.Itoa(ti.NBlocks),
		"X_BITS": bits(gm.BWord), "X_SIGNED": sgn(gm.BWord), "X_ZP": strconv.FormatInt(gm.BZeroPoint, 10),
		"W_BITS": bits(gm.AWord), "W_SIGNED": sgn(gm.AWord), "W_ZP": strconv.FormatInt(gm.AZeroPoint, 10),
		"NCH":    strconv.Itoa(mult.Elements),
		"IN_ZP":  strconv.FormatInt(attrInt(t, rq, "in_zero_point"), 10),
		"OUT_ZP": strconv.FormatInt(attrInt(t, rq, "out_zero_point"), 10),
		"LO":     strconv.FormatInt(attrInt(t, rq, "lo"), 10),
		"HI":     strconv.FormatInt(attrInt(t, rq, "hi"), 10),
		"W_FILE": file(ti.W), "X_FILE": file(ti.X),
		"MULT_FILE": file("params/" + l.Stem + ".multiplier.hex"), "SHIFT_FILE": file("params/" + l.Stem + ".shift.hex"),
		"BIAS_FILE": file("params/" + l.Stem + ".bias.hex"), "OUT_FILE": verilogString("out.txt"),
	})

	vals := golden(t, g, samples[0])
	acc, y := mustInts(t, vals["acc"]), mustInts(t, vals["y"])
	rows := readColumns(t, filepath.Join(dir, "out.txt"), 2)
	if len(rows) != len(acc) {
		t.Fatalf("simulation wrote %d outputs, the layer has %d", len(rows), len(acc))
	}
	bad, distinct := 0, map[int64]bool{}
	for i, r := range rows {
		distinct[y[i]] = true
		if r[0] != acc[i] || r[1] != y[i] {
			if bad++; bad <= 5 {
				t.Errorf("output %d (channel %d, position %d): RTL acc %d y %d, golden acc %d y %d", i, i/gm.N, i%gm.N, r[0], r[1], acc[i], y[i])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d outputs differ", bad, len(rows))
	}
	if len(distinct) < 20 {
		t.Errorf("only %d distinct outputs: the layer exercises too little of the Requant", len(distinct))
	}
}

// TestRTLRequantMatchesGolden runs rtl/requant.v on corner cases (shift 0,
// ties, negative sums, clamping, 62-bit biases) and random vectors and
// compares with the golden rescale of package integer.
func TestRTLRequantMatchesGolden(t *testing.T) {
	needIverilog(t)
	type vec struct{ x, inZP, m, s, b, outZP, lo, hi int64 }
	vecs := []vec{
		{5, 0, 1, 0, 0, 0, -128, 127},            // shift 0: no rounding term
		{3, 0, 1, 1, 0, 0, -128, 127},            // 1.5 rounds up to 2
		{-3, 0, 1, 1, 0, 0, -128, 127},           // -1.5 rounds up to -1
		{-5, 0, 1, 2, 0, 0, -128, 127},           // -1.25 → -1
		{1000, 0, 1 << 30, 30, 0, 0, -128, 127},  // clamps at hi
		{-1000, 0, 1 << 30, 30, 0, 0, -128, 127}, // clamps at lo
		{100, 0, 1 << 30, 31, 0, 128, 0, 255},    // output zero point
		{-2147483648, 0, -(1<<31 - 1), 62, 0, 0, -1 << 31, 1<<31 - 1},
		{2147483647, 0, 1<<31 - 1, 62, 1 << 60, 0, -1 << 31, 1<<31 - 1},
		{0, 0, 0, 0, -(1<<62 - 1), 0, -1 << 31, 1<<31 - 1}, // bias alone, clamped
		{7, 9, 1518500250, 33, 3 << 40, -5, -100, 100},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		s := r.Int64N(63)
		vecs = append(vecs, vec{
			x: r.Int64N(1<<24) - 1<<23, inZP: r.Int64N(256) - 128, m: r.Int64N(1<<32) - 1<<31 + 1, s: s,
			b: r.Int64N(1<<50) - 1<<49, outZP: r.Int64N(256), lo: -r.Int64N(1 << 20), hi: r.Int64N(1 << 20),
		})
	}
	dir := t.TempDir()
	var words []int64
	for _, v := range vecs {
		words = append(words, v.x, v.inZP, v.m, v.s, v.b, v.outZP, v.lo, v.hi)
	}
	f, err := os.Create(filepath.Join(dir, "vectors.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHex(f, tensor.New([]int{len(words)}, words), Word{Bits: 64, Signed: true}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	simulate(t, dir, "tb_requant", []string{"tb_requant.v", "requant.v"}, map[string]string{
		"NVEC": strconv.Itoa(len(vecs)), "VEC_FILE": verilogString("vectors.hex"), "OUT_FILE": verilogString("out.txt"),
	})
	got := readColumns(t, filepath.Join(dir, "out.txt"), 1)
	if len(got) != len(vecs) {
		t.Fatalf("simulation wrote %d results for %d vectors", len(got), len(vecs))
	}
	for i, v := range vecs {
		want := integer.Clamp(integer.RShift((v.x-v.inZP)*v.m+v.b, int(v.s))+v.outZP, v.lo, v.hi)
		if got[i][0] != want {
			t.Errorf("vector %d %+v: RTL %d, golden %d", i, v, got[i][0], want)
		}
	}
}

// readColumns reads lines of n decimal integers.
func readColumns(t *testing.T, name string, n int) [][]int64 {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != n {
			t.Fatalf("%s line %d: %q, want %d numbers", name, len(rows)+1, sc.Text(), n)
		}
		row := make([]int64, n)
		for i, s := range fields {
			if row[i], err = strconv.ParseInt(s, 10, 64); err != nil {
				t.Fatalf("%s line %d: %v", name, len(rows)+1, err)
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func nodeByName(t testing.TB, m *Manifest, name string) Node {
	t.Helper()
	for _, n := range m.Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no node %q in the manifest", name)
	return Node{}
}

// attrInt reads an integer attribute of a manifest node (int64 in a
// returned manifest, float64 after JSON decoding).
func attrInt(t testing.TB, n Node, name string) int64 {
	t.Helper()
	switch v := n.Attrs[name].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	t.Fatalf("node %q has no integer attribute %q", n.Name, name)
	panic(fmt.Sprint(name))
}
