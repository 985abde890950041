package load

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenError: the file is named once, and a missing one plainly.
func TestOpenError(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/r.v4", Err: fs.ErrPermission}, "open /r.v4: permission denied"},
		{&fs.PathError{Op: "open", Path: "/r.v4", Err: syscall.ENOENT}, "open /r.v4: no such file"},
		{&fs.PathError{Op: "open", Path: "/r.v4", Err: syscall.EISDIR}, "open /r.v4: is a directory"},
	} {
		err := openError("/r.v4", c.err)
		if err.Error() != c.want || !errors.Is(err, ErrInput) {
			t.Errorf("%v: %q, want %q (bad input)", c.err, err, c.want)
		}
	}
}

// TestReadCancelled: a FIFO no one writes to, or one whose writer stalls,
// stops the read as soon as the context is cancelled.
func TestReadCancelled(t *testing.T) {
	dir := t.TempDir()
	noWriter := filepath.Join(dir, "no-writer.v4")
	stalled := filepath.Join(dir, "stalled.v4")
	for _, p := range []string{noWriter, stalled} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		w, err := os.OpenFile(stalled, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		io.WriteString(w, "*filter\n")
		time.Sleep(5 * time.Second)
		w.Close()
	}()
	for _, p := range []string{noWriter, stalled} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := Files{IPTablesSave: []string{p}}.Read(ctx)
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
				t.Errorf("after %v: %v; want the context's error within a second", time.Since(start).Round(time.Millisecond), err)
			}
		})
	}
}

// TestEmptyInput: a file that holds no table is a note, or with Strict an
// error; never silently a host without a firewall.
func TestEmptyInput(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.v4")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rs, err := Files{IPTablesSave: []string{p}}.Read(context.Background())
	if err != nil || !strings.Contains(strings.Join(rs.Notes, "\n"), p+": no rules read") {
		t.Errorf("%v; notes %q", err, rs.Notes)
	}
	_, err = Files{IPTablesSave: []string{p}, Strict: true}.Read(context.Background())
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "--strict") {
		t.Errorf("strict: %v", err)
	}
}
