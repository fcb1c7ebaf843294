package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// staging is a temporary directory beside the export target; commit
// renames it into place, so readers see either the previous export or the
// complete new one, and a failure leaves nothing behind.
type staging struct {
	dir, tmp string
}

// stage checks that dir may be (re)placed and creates the temporary
// directory beside it. An existing dir must be empty or a previous export
// (holding manifest.json): Write never replaces other directories.
func stage(dir string) (*staging, error) {
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return nil, fmt.Errorf("export directory %s exists and is not a directory", dir)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("export directory %s: %w", dir, err)
		}
		if _, err := os.Stat(filepath.Join(dir, manifestFile)); len(entries) > 0 && err != nil {
			return nil, fmt.Errorf("export directory %s is not empty and holds no %s: refusing to replace it", dir, manifestFile)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("export directory %s: %w", dir, err)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("export directory %s: cannot create its parent: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("export directory %s: cannot write beside it: %w", dir, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("export directory %s: %w", dir, err)
	}
	return &staging{dir: dir, tmp: tmp}, nil
}

// commit moves the finished export into place, replacing a previous one
// (errors are about s.dir, which the caller names).
func (s *staging) commit() error {
	old := ""
	if _, err := os.Stat(s.dir); err == nil {
		old = s.tmp + ".old"
		if err := os.Rename(s.dir, old); err != nil {
			return fmt.Errorf("cannot move the previous export aside: %w", err)
		}
	}
	if err := os.Rename(s.tmp, s.dir); err != nil {
		if old != "" {
			os.Rename(old, s.dir)
		}
		return fmt.Errorf("cannot move the new export into place: %w", err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// abort removes the temporary directory.
func (s *staging) abort() { os.RemoveAll(s.tmp) }
