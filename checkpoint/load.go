package checkpoint

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"t2c/tensor"
)

// maxHeader bounds the JSON header, as the reference reader does (100 MB).
const maxHeader = 100 << 20

// entry is one tensor's header record.
type entry struct {
	name  string
	ft    fileDType
	shape []int
	begin int64
	end   int64
}

// headerEntry is the JSON form of a tensor's header record.
type headerEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// Load reads a safetensors file. It returns the tensors by name and the
// header's "__metadata__" strings (nil when absent). F16 and BF16 tensors
// are converted to float32. Errors name the file and, where one is at
// fault, the tensor.
func Load(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	entries, meta, dataLen, err := readHeader(r, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	out := make(map[string]*tensor.Tensor, len(entries))
	var buf []byte
	for _, e := range entries { // in file order
		t := tensor.Zeros(e.ft.dtype, e.shape...)
		if buf, err = readData(r, t, e.ft, buf); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("file is truncated (data section should hold %d bytes)", dataLen)
			}
			return nil, nil, fmt.Errorf("checkpoint %s: tensor %q: %w", path, e.name, err)
		}
		out[e.name] = t
	}
	return out, meta, nil
}

// readHeader parses and validates the header of a file of fileSize bytes.
// The entries come back sorted by data offset (file order).
func readHeader(r io.Reader, fileSize int64) ([]entry, map[string]string, int64, error) {
	var nb [8]byte
	if _, err := io.ReadFull(r, nb[:]); err != nil {
		return nil, nil, 0, fmt.Errorf("file is %d bytes, too short for a safetensors header", fileSize)
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if n > maxHeader || int64(n) > fileSize-8 {
		return nil, nil, 0, fmt.Errorf("header length %d does not fit in a file of %d bytes (not a safetensors file, or truncated)", n, fileSize)
	}
	hb := make([]byte, n)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, nil, 0, fmt.Errorf("reading header: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hb, &raw); err != nil {
		return nil, nil, 0, fmt.Errorf("bad JSON header: %w", err)
	}
	var meta map[string]string
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, 0, fmt.Errorf("__metadata__ must map strings to strings: %w", err)
		}
		delete(raw, "__metadata__")
	}
	dataLen := fileSize - 8 - int64(n)
	entries := make([]entry, 0, len(raw))
	for name, msg := range raw {
		e, err := parseEntry(name, msg, dataLen)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("tensor %q: %w", name, err)
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		return a.begin < b.begin || a.begin == b.begin && (a.end < b.end || a.end == b.end && a.name < b.name)
	})
	var pos int64
	for _, e := range entries {
		switch {
		case e.begin > pos:
			return nil, nil, 0, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap after byte %d", e.name, e.begin, e.end, pos)
		case e.begin < pos:
			return nil, nil, 0, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap the previous tensor (which ends at %d)", e.name, e.begin, e.end, pos)
		}
		pos = e.end
	}
	if pos != dataLen {
		if pos > dataLen { // unreachable: parseEntry bounds each end
			return nil, nil, 0, fmt.Errorf("tensors need %d data bytes, file has %d", pos, dataLen)
		}
		return nil, nil, 0, fmt.Errorf("data section has %d bytes but tensors cover only %d (trailing bytes)", dataLen, pos)
	}
	return entries, meta, dataLen, nil
}

// parseEntry decodes and checks one tensor record against the data length.
func parseEntry(name string, msg json.RawMessage, dataLen int64) (entry, error) {
	var h headerEntry
	if err := json.Unmarshal(msg, &h); err != nil {
		return entry{}, fmt.Errorf("bad header record: %w", err)
	}
	ft, ok := parseDType(h.DType)
	if !ok {
		return entry{}, fmt.Errorf("unsupported dtype %q (supported: %s)", h.DType, supportedNames)
	}
	if len(h.DataOffsets) != 2 {
		return entry{}, fmt.Errorf("data_offsets must be [begin, end], got %v", h.DataOffsets)
	}
	begin, end := h.DataOffsets[0], h.DataOffsets[1]
	if begin < 0 || end < begin || end > dataLen {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] out of range: the data section has %d bytes (file truncated?)", begin, end, dataLen)
	}
	shape := make([]int, len(h.Shape))
	elems := int64(1)
	for i, d := range h.Shape {
		if d < 0 || d > math.MaxInt32 {
			return entry{}, fmt.Errorf("invalid shape %v", h.Shape)
		}
		shape[i] = int(d)
		if elems > 0 && d > (dataLen+1)/elems { // more elements than the file could hold
			return entry{}, fmt.Errorf("shape %v (%s) needs more bytes than the file holds", h.Shape, h.DType)
		}
		elems *= d
	}
	if need := elems * int64(ft.size); end-begin != need {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] hold %d bytes, shape %v of %s needs %d", begin, end, end-begin, h.Shape, h.DType, need)
	}
	return entry{name: name, ft: ft, shape: shape, begin: begin, end: end}, nil
}

// readData fills t from r, decoding chunk by chunk into buf.
func readData(r io.Reader, t *tensor.Tensor, ft fileDType, buf []byte) ([]byte, error) {
	n := t.Len()
	for lo := 0; lo < n; lo += chunkElems {
		hi := min(n, lo+chunkElems)
		nb := (hi - lo) * ft.size
		if cap(buf) < nb {
			buf = make([]byte, nb)
		}
		buf = buf[:nb]
		if _, err := io.ReadFull(r, buf); err != nil {
			return buf, err
		}
		if ft.half != notHalf {
			dst := t.Float32()[lo:hi]
			for i := range dst {
				h := binary.LittleEndian.Uint16(buf[2*i:])
				if ft.half == f16 {
					dst[i] = f16ToF32(h)
				} else {
					dst[i] = bf16ToF32(h)
				}
			}
			continue
		}
		if _, err := binary.Decode(buf, binary.LittleEndian, sliceOf(t.Raw(), lo, hi)); err != nil {
			return buf, err
		}
	}
	return buf, nil
}
