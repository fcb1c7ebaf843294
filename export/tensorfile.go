package export

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"t2c/tensor"
)

// File formats of Options.Formats.
const (
	FormatNPY = "npy" // NumPy .npy: dtype and shape in the header
	FormatHex = "hex" // one two's complement word per line ($readmemh)
	FormatBin = "bin" // raw little-endian storage dtype, row-major
	FormatC   = "h"   // the C header params.h (parameters only)
)

// AllFormats lists every format, the default of Options.Formats.
var AllFormats = []string{FormatNPY, FormatHex, FormatBin, FormatC}

// WriteTensor writes t as stem.npy, stem.hex and stem.bin under dir, for
// those of formats among npy, hex and bin (others are ignored); hex words
// are of w. stem is slash-separated and may name subdirectories, which
// are created. It returns the paths written, relative to dir, in the
// order of formats.
func WriteTensor(dir, stem string, t *tensor.Tensor, w Word, formats []string) ([]string, error) {
	var written []string
	for _, f := range formats {
		var write func(io.Writer) error
		switch f {
		case FormatNPY:
			write = func(out io.Writer) error { return WriteNPY(out, t) }
		case FormatHex:
			write = func(out io.Writer) error { return WriteHex(out, t, w) }
		case FormatBin:
			write = func(out io.Writer) error { return WriteBin(out, t) }
		default:
			continue
		}
		rel := stem + "." + f
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), write); err != nil {
			return written, err
		}
		written = append(written, path.Clean(rel))
	}
	return written, nil
}

// writeFile creates name (and its directory) and fills it with write; the
// error names the file.
func writeFile(name string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
