package export

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"t2c/tensor"
)

// HexWord formats v as one hex word of w: the two's complement of v
// masked to w.Bits bits, in w.Digits() lower-case digits without a prefix
// (−1 in 4 bits is "f", −128 in 8 bits is "80", 300 in 12 bits is "12c").
// It does not check that v fits w.
func HexWord(v int64, w Word) string {
	u := uint64(v)
	if w.Bits < 64 {
		u &= 1<<w.Bits - 1
	}
	s := strconv.FormatUint(u, 16)
	if pad := w.Digits() - len(s); pad > 0 {
		s = strings.Repeat("0", pad) + s
	}
	return s
}

// WriteHex writes t row-major as one HexWord per line, the format of
// Verilog's $readmemh. Integer tensors must fit w (an error names the
// first value that does not); float tensors are written as their IEEE-754
// bit patterns and need a word of 32 (float32) or 64 (float64) bits.
func WriteHex(out io.Writer, t *tensor.Tensor, w Word) error {
	if err := w.Check(); err != nil {
		return err
	}
	vals, err := bitWords(t)
	if err != nil {
		return err
	}
	if t.DType().IsFloat() {
		if w.Bits != 8*t.DType().Size() {
			return fmt.Errorf("hex of %v needs a %d-bit word, got %d", t.DType(), 8*t.DType().Size(), w.Bits)
		}
	} else {
		for i, v := range vals {
			if !w.Fits(v) {
				return fmt.Errorf("element %d = %d does not fit a %v word", i, v, w)
			}
		}
	}
	bw := bufio.NewWriter(out)
	for _, v := range vals {
		bw.WriteString(HexWord(v, w))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ReadHex reads a file written by WriteHex back into int64 values: each
// line's word is sign-extended from w.Bits bits when w is signed. Blank
// lines and // comments are skipped, as $readmemh does.
func ReadHex(r io.Reader, w Word) ([]int64, error) {
	if err := w.Check(); err != nil {
		return nil, err
	}
	var out []int64
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if i := strings.Index(s, "//"); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		u, err := strconv.ParseUint(s, 16, 64)
		if err != nil || (w.Bits < 64 && u>>w.Bits != 0) {
			return nil, fmt.Errorf("line %d: %q is not a %d-bit hex word", line, s, w.Bits)
		}
		v := int64(u)
		if w.Signed && w.Bits < 64 && u>>(w.Bits-1) != 0 {
			v -= 1 << w.Bits
		}
		out = append(out, v)
	}
	return out, sc.Err()
}
