package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// open opens a rule file for reading until ctx is cancelled. A FIFO with
// no writer yet blocks in open(2): on cancel, a writer end is opened and
// closed at once to release it. Errors name the file once.
func open(ctx context.Context, path string) (*ctxFile, error) {
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			return nil, openError(path, o.err)
		}
		return newCtxFile(ctx, o.f), nil
	case <-ctx.Done():
		releaseFIFO(path)
		if o := <-done; o.f != nil {
			o.f.Close()
		}
		return nil, ctx.Err()
	}
}

// releaseFIFO ends a reader's open(2) of the FIFO at path that waits for
// a writer.
func releaseFIFO(path string) {
	if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
	}
}

// openError says what os.Open said, naming the file once.
func openError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return badInput(fmt.Errorf("open %s: no such file", path))
	}
	return badInput(fmt.Errorf("open %s: %w", path, err))
}

// ctxFile is a file whose reads stop when ctx is cancelled: at once for
// pipes and FIFOs (a read deadline), between reads for regular files.
type ctxFile struct {
	ctx      context.Context
	f        *os.File
	stop     func() bool
	size     int64 // 0 for pipes
	read     int64
	progress func(read, size int64)
}

func newCtxFile(ctx context.Context, f *os.File) *ctxFile {
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	c := &ctxFile{ctx: ctx, f: f, stop: stop}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		c.size = fi.Size()
	}
	return c
}

func (c *ctxFile) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.f.Read(p)
	c.read += int64(n)
	if c.progress != nil {
		c.progress(c.read, c.size)
	}
	if err != nil && !errors.Is(err, io.EOF) && c.ctx.Err() != nil {
		return n, c.ctx.Err()
	}
	return n, err
}

func (c *ctxFile) Close() error {
	c.stop()
	return c.f.Close()
}
