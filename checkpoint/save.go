package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"t2c/tensor"
)

// chunkElems bounds the scratch buffer used to encode or decode a tensor.
const chunkElems = 1 << 16

// Save writes tensors and string metadata (may be nil) to path in the
// safetensors format. The file is written to a temporary file in the same
// directory and renamed into place, so readers never see a partial file and
// a failed save leaves any previous file intact. The result has mode 0644.
func Save(path string, tensors map[string]*tensor.Tensor, meta map[string]string) (err error) {
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		switch {
		case name == "" || name == "__metadata__":
			return fmt.Errorf("checkpoint %s: invalid tensor name %q", path, name)
		case t == nil:
			return fmt.Errorf("checkpoint %s: tensor %q is nil", path, name)
		}
		if _, ok := dtypeNames[t.DType()]; !ok {
			return fmt.Errorf("checkpoint %s: tensor %q: dtype %v cannot be stored", path, name, t.DType())
		}
		names = append(names, name)
	}
	sort.Strings(names)
	header, order := layout(names, tensors, meta)

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	w.Write(n[:])
	w.Write(header)
	var buf []byte
	for _, name := range order {
		if buf, err = writeData(w, tensors[name], buf); err != nil {
			return fmt.Errorf("checkpoint %s: tensor %q: %w", path, name, err)
		}
	}
	if err = w.Flush(); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// layout returns the JSON header (keys sorted by name, padded with spaces to
// a multiple of 8 bytes) and the order of the tensors in the data section:
// by descending element size, then name, so every tensor is aligned.
func layout(names []string, tensors map[string]*tensor.Tensor, meta map[string]string) ([]byte, []string) {
	order := append([]string(nil), names...)
	sort.SliceStable(order, func(i, j int) bool {
		return tensors[order[i]].DType().Size() > tensors[order[j]].DType().Size()
	})
	offsets := make(map[string][2]int, len(names))
	off := 0
	for _, name := range order {
		t := tensors[name]
		end := off + t.Len()*t.DType().Size()
		offsets[name] = [2]int{off, end}
		off = end
	}
	var h bytes.Buffer
	h.WriteByte('{')
	if len(meta) > 0 {
		m, _ := json.Marshal(meta) // string map: cannot fail; keys sorted
		h.WriteString(`"__metadata__":`)
		h.Write(m)
	}
	for i, name := range names {
		if i > 0 || len(meta) > 0 {
			h.WriteByte(',')
		}
		t := tensors[name]
		key, _ := json.Marshal(name)
		h.Write(key)
		h.WriteString(`:{"dtype":"` + dtypeNames[t.DType()] + `","shape":[`)
		for j, d := range t.Shape() {
			if j > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		o := offsets[name]
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, o[0], o[1])
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	return h.Bytes(), order
}

// writeData encodes t's elements little-endian in chunks, reusing buf.
func writeData(w *bufio.Writer, t *tensor.Tensor, buf []byte) ([]byte, error) {
	n, size := t.Len(), t.DType().Size()
	for lo := 0; lo < n; lo += chunkElems {
		hi := min(n, lo+chunkElems)
		var err error
		buf, err = binary.Append(buf[:0], binary.LittleEndian, sliceOf(t.Raw(), lo, hi))
		if err != nil {
			return buf, err
		}
		if len(buf) != (hi-lo)*size {
			return buf, fmt.Errorf("encoded %d bytes for %d elements of %v", len(buf), hi-lo, t.DType())
		}
		if _, err := w.Write(buf); err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// sliceOf returns data[lo:hi] for any tensor storage slice.
func sliceOf(data any, lo, hi int) any {
	switch d := data.(type) {
	case []float32:
		return d[lo:hi]
	case []float64:
		return d[lo:hi]
	case []int8:
		return d[lo:hi]
	case []uint8:
		return d[lo:hi]
	case []int16:
		return d[lo:hi]
	case []uint16:
		return d[lo:hi]
	case []int32:
		return d[lo:hi]
	case []uint32:
		return d[lo:hi]
	case []int64:
		return d[lo:hi]
	case []uint64:
		return d[lo:hi]
	case []bool:
		return d[lo:hi]
	}
	panic(fmt.Sprintf("checkpoint: unexpected storage %T", data))
}
