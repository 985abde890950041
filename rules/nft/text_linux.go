//go:build linux

package nft

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/perimeter-dev/perimeter/rules"
)

// maxText bounds the nft text ReadText loads.
const maxText = 256 << 20

// ReadText reads a ruleset in nft syntax: it loads it with the real nft
// into a scratch network namespace, reads it back over netlink as ReadLive
// does, and throws the namespace away. The host's own namespace is never
// touched. It needs root (CAP_SYS_ADMIN to create the namespace): without
// it the error wraps ErrPermission. A text nft refuses is an error that
// carries nft's message.
func ReadText(ctx context.Context, r io.Reader, opts Options) (*rules.Ruleset, error) {
	text, err := io.ReadAll(io.LimitReader(r, maxText+1))
	if err != nil {
		return nil, fmt.Errorf("read nft text: %w", err)
	}
	if len(text) > maxText {
		return nil, errors.New("read nft text: too large")
	}
	var o *Objects
	err = InScratchNetNS(func() error {
		addInterfaces(ctx, interfaceNames(string(text)))
		if _, err := nftCommand(ctx, opts.Nft, text, "-f", "-"); err != nil {
			return fmt.Errorf("load nft text: %w", err)
		}
		scratch := opts
		scratch.NetNSFd = -1 // this thread's namespace: the scratch one
		var err error
		o, err = ReadObjects(ctx, scratch)
		return err
	})
	if err != nil {
		return nil, err
	}
	if opts.Source == "" {
		opts.Source = "nft text"
	}
	return Translate(o, opts), nil
}

// InScratchNetNS runs fn on a thread in a new, empty network namespace;
// processes fn starts run there too. The thread is never returned to Go's
// pool, so the namespace disappears when fn returns and its processes
// end. fn must not start goroutines that expect to be in the namespace.
func InScratchNetNS(fn func() error) error {
	done := make(chan result, 1)
	go func() {
		// No UnlockOSThread: the thread ends with this goroutine, and with
		// it the namespace.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			if errors.Is(err, unix.EPERM) {
				err = fmt.Errorf("%w: %v", ErrPermission, err)
			}
			done <- result{err: err}
			return
		}
		done <- call(fn)
	}()
	return (<-done).get()
}

// result carries fn's error, or its panic, back from the locked thread.
type result struct {
	err      error
	panicked bool
	value    any
}

func call(fn func() error) (r result) {
	defer func() {
		if p := recover(); p != nil {
			r = result{panicked: true, value: p}
		}
	}()
	return result{err: fn()}
}

// get returns the error, or re-raises the panic in the caller.
func (r result) get() error {
	if r.panicked {
		panic(r.value)
	}
	return r.err
}
