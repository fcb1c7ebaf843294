package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestDemo runs the README's main command end to end: every stage prints a
// row, the integer models agree with their fake-quant models, and the
// export directory is complete.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo quantizes with reconstruction (~20 s)")
	}
	out := filepath.Join(t.TempDir(), "demo")
	var buf bytes.Buffer
	if err := runDemo(&buf, out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	rows := regexp.MustCompile(`(?m)^(W8A8 min-max|W4A4 AdaRound\+LSQ) integer-only\s+([0-9.]+)%\s+([0-9.]+)%`).FindAllStringSubmatch(buf.String(), -1)
	if len(rows) != 2 {
		t.Fatalf("want two integer-only rows, got %q", buf.String())
	}
	for _, r := range rows {
		top1, _ := strconv.ParseFloat(r[2], 64)
		agree, _ := strconv.ParseFloat(r[3], 64)
		if top1 < 85 || agree < 99.5 {
			t.Errorf("%s: integer top-1 %.2f%%, agreement %.2f%%", r[1], top1, agree)
		}
	}
	for _, f := range []string{"manifest.json", "params.h", "qdq.onnx"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}
