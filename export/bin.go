package export

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"t2c/tensor"
)

// WriteBin writes t's elements row-major as raw little-endian values of
// its storage dtype (bools as one byte 0/1), with no header.
func WriteBin(w io.Writer, t *tensor.Tensor) error {
	if t.DType() == tensor.Invalid {
		return fmt.Errorf("tensor has no dtype")
	}
	bw := bufio.NewWriter(w)
	if err := binary.Write(bw, binary.LittleEndian, t.Raw()); err != nil {
		return err
	}
	return bw.Flush()
}

// ReadBin reads a file written by WriteBin, given its dtype and shape.
func ReadBin(r io.Reader, d tensor.DType, shape []int) (*tensor.Tensor, error) {
	if d == tensor.Invalid || d.Size() == 0 {
		return nil, fmt.Errorf("invalid dtype %v", d)
	}
	t := tensor.Zeros(d, shape...)
	br := bufio.NewReader(r)
	if err := binary.Read(br, binary.LittleEndian, t.Raw()); err != nil {
		return nil, fmt.Errorf("reading %d %v elements: %w", t.Len(), d, err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("data longer than %d %v elements", t.Len(), d)
	}
	return t, nil
}
