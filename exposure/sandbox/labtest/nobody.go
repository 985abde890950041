package labtest

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// ExecutableForNobody copies the running test binary into a directory
// every user may enter and returns its path, so a test can run it as
// nobody: t.TempDir's parent is closed to others.
func ExecutableForNobody(t testing.TB) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "perimeter-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, filepath.Base(self))
	if err := copyExecutable(self, bin); err != nil || os.Chmod(dir, 0o755) != nil {
		t.Fatalf("copy %s for nobody: %v", self, err)
	}
	return bin
}

func copyExecutable(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
