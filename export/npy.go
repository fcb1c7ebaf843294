package export

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio"

	"t2c/tensor"
)

// npyDescr maps storage dtypes to NumPy type strings (little-endian).
var npyDescr = map[tensor.DType]string{
	tensor.Bool: "|b1", tensor.Int8: "|i1", tensor.Uint8: "|u1",
	tensor.Int16: "<i2", tensor.Uint16: "<u2", tensor.Int32: "<i4", tensor.Uint32: "<u4",
	tensor.Int64: "<i8", tensor.Uint64: "<u8", tensor.Float32: "<f4", tensor.Float64: "<f8",
}

// WriteNPY writes t as a NumPy .npy file (format version 1.0, C order,
// little-endian, t's own dtype and shape). npyio writes only 1-D arrays
// from Go slices, so the header is written here; the payload is WriteBin's.
func WriteNPY(w io.Writer, t *tensor.Tensor) error {
	descr, ok := npyDescr[t.DType()]
	if !ok {
		return fmt.Errorf("no .npy type for %v", t.DType())
	}
	dims := make([]string, t.Rank())
	for i, d := range t.Shape() {
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ") + ")"
	if t.Rank() == 1 {
		shape = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	// Magic (6) + version (2) + length (2) + dict + padding + '\n' is a
	// multiple of 64, as NumPy writes it.
	const prefix = 10
	pad := 63 - (prefix+len(dict))%64
	dict += strings.Repeat(" ", pad) + "\n"
	if len(dict) > 65535 {
		return fmt.Errorf(".npy header of %d bytes is too long for format 1.0", len(dict))
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("\x93NUMPY\x01\x00")
	bw.WriteByte(byte(len(dict)))
	bw.WriteByte(byte(len(dict) >> 8))
	bw.WriteString(dict)
	if err := WriteBin(bw, t); err != nil {
		return err
	}
	return bw.Flush()
}

// ReadNPY reads a .npy file of any dtype WriteNPY writes (via npyio).
func ReadNPY(r io.Reader) (*tensor.Tensor, error) {
	nr, err := npyio.NewReader(r)
	if err != nil {
		return nil, err
	}
	if nr.Header.Descr.Fortran {
		return nil, fmt.Errorf(".npy in Fortran order is not supported")
	}
	shape := nr.Header.Descr.Shape
	typ := strings.Trim(nr.Header.Descr.Type, `'"`)
	for d, descr := range npyDescr {
		// Little-endian ('<'), not applicable ('|') and native ('=', on
		// the little-endian machines t2c runs on) orders all match.
		if len(typ) == 3 && strings.ContainsRune("<|=", rune(typ[0])) && typ[1:] == descr[1:] {
			return readNPYData(nr, d, shape)
		}
	}
	return nil, fmt.Errorf(".npy dtype %q is not supported", typ)
}

func readNPYData(nr *npyio.Reader, d tensor.DType, shape []int) (*tensor.Tensor, error) {
	switch d {
	case tensor.Bool:
		return readNPYAs[bool](nr, shape)
	case tensor.Int8:
		return readNPYAs[int8](nr, shape)
	case tensor.Uint8:
		return readNPYAs[uint8](nr, shape)
	case tensor.Int16:
		return readNPYAs[int16](nr, shape)
	case tensor.Uint16:
		return readNPYAs[uint16](nr, shape)
	case tensor.Int32:
		return readNPYAs[int32](nr, shape)
	case tensor.Uint32:
		return readNPYAs[uint32](nr, shape)
	case tensor.Int64:
		return readNPYAs[int64](nr, shape)
	case tensor.Uint64:
		return readNPYAs[uint64](nr, shape)
	case tensor.Float32:
		return readNPYAs[float32](nr, shape)
	}
	return readNPYAs[float64](nr, shape)
}

func readNPYAs[T tensor.Elem](nr *npyio.Reader, shape []int) (*tensor.Tensor, error) {
	var data []T
	if err := nr.Read(&data); err != nil {
		return nil, err
	}
	if len(data) != tensor.NumElems(shape) {
		return nil, fmt.Errorf(".npy shape %v holds %d elements, read %d", shape, tensor.NumElems(shape), len(data))
	}
	return tensor.New(shape, data), nil
}
