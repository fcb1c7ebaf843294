package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"t2c/tensor"
)

// entries lists a directory's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteParentIsAFile(t *testing.T) {
	g, samples := convFixture(t, 6)
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "out")
	_, err := Write(dir, g, samples, Options{})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("error %v, want one naming %s", err, dir)
	}
	if names := entries(t, base); len(names) != 1 {
		t.Errorf("directory holds %v after the failed export", names)
	}
}

func TestWriteReadOnlyParent(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions (TestWriteParentIsAFile covers the unwritable case)")
	}
	g, samples := convFixture(t, 6)
	parent := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(parent, 0o755)
	dir := filepath.Join(parent, "out")
	if _, err := Write(dir, g, samples, Options{}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("error %v, want one naming %s", err, dir)
	}
	if names := entries(t, parent); len(names) != 0 {
		t.Errorf("read-only directory holds %v", names)
	}
}

func TestWriteFailureLeavesNothing(t *testing.T) {
	g, samples := convFixture(t, 6)
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	// Sample 1 has the wrong dtype: the run fails after sample 0's files
	// are written.
	bad := tensor.Zeros(tensor.Int32, samples[0].Shape()...)
	_, err := Write(dir, g, []*tensor.Tensor{samples[0], bad}, Options{Samples: 2})
	if err == nil || !strings.Contains(err.Error(), "sample 1") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("error %v, want one naming sample 1 and %s", err, dir)
	}
	if names := entries(t, base); len(names) != 0 {
		t.Errorf("failed export left %v", names)
	}
	// A graph that does not compile fails before anything is created.
	broken := g.Clone()
	broken.Nodes[1].Op = "NoSuchOp"
	if _, err := Write(dir, broken, samples, Options{}); err == nil || !strings.Contains(err.Error(), "NoSuchOp") {
		t.Fatalf("error %v, want one naming the op", err)
	}
	if names := entries(t, base); len(names) != 0 {
		t.Errorf("failed export left %v", names)
	}
}

func TestWriteReplacesOnlyExports(t *testing.T) {
	g, samples := convFixture(t, 6)
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	if _, err := Write(dir, g, samples, Options{PE: 4}); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "stale.txt")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, g, samples, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a file of the previous export survived the new one")
	}
	if _, err := os.Stat(filepath.Join(dir, "tiles")); err == nil {
		t.Error("tiles of the previous export survived an export without them")
	}
	if names := entries(t, base); len(names) != 1 {
		t.Errorf("parent holds %v, want only the export", names)
	}
	// A directory that is not an export is never replaced.
	other := filepath.Join(base, "mine")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(other, g, samples, Options{}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("error %v, want a refusal", err)
	}
	if names := entries(t, other); len(names) != 1 {
		t.Errorf("%s holds %v", other, names)
	}
	// An empty directory is fine.
	empty := filepath.Join(base, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(empty, g, samples, Options{}); err != nil {
		t.Fatal(err)
	}
}
