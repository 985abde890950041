package sandbox

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// Do runs fn on a locked OS thread switched into the lab namespace ns
// (l.Target or l.Prober) and switches the thread back afterwards. Sockets and
// netlink connections fn opens belong to ns for their whole life and may be
// used from any goroutine. fn runs on a helper goroutine: it must not call
// t.Fatal or l.Close; a panic in fn is re-raised in the caller. If the thread cannot be
// switched back it is never reused (Go ends it).
//
// Inside fn, /proc/sys/net shows ns, but /proc/net (= /proc/self/net) shows
// the namespace of the process's main thread: use /proc/thread-self/net.
func (l *Lab) Do(ns string, fn func() error) error {
	h, err := l.acquire(ns)
	if err != nil {
		return err
	}
	defer l.sys.active.Done()
	return doIn(h, fn)
}

// acquire returns the handle of ns and counts a user of the handles; Close
// waits for all users before it closes them, so a handle's fd number is
// never reused under a running Do.
func (l *Lab) acquire(ns string) (netns.NsHandle, error) {
	l.sys.mu.Lock()
	defer l.sys.mu.Unlock()
	h := netns.None()
	switch {
	case l.sys.closed:
		return h, errors.New("netns: lab closed")
	case ns == l.Target && l.sys.target.IsOpen():
		h = l.sys.target
	case ns == l.Prober && l.sys.prober.IsOpen():
		h = l.sys.prober
	case ns == l.Backend && ns != "" && l.sys.backend.IsOpen():
		h = l.sys.backend
	default:
		return h, fmt.Errorf("netns: %q is not a namespace of this lab", ns)
	}
	l.sys.active.Add(1)
	return h, nil
}

type doResult struct {
	err      error
	panicked bool
	panicVal any
}

func doIn(h netns.NsHandle, fn func() error) error {
	ch := make(chan doResult, 1)
	go func() { ch <- doLocked(h, fn) }()
	r := <-ch
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

// doLocked must run on its own goroutine: when the switch back fails it
// returns with the thread still locked, so the runtime ends the thread when
// the goroutine exits.
func doLocked(h netns.NsHandle, fn func() error) (r doResult) {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return doResult{err: fmt.Errorf("netns: %w", err)}
	}
	defer orig.Close()
	if err := enter(h); err != nil {
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		return doResult{err: err}
	}
	r = callFn(fn)
	if err := netns.Set(orig); err != nil {
		r.err = errors.Join(r.err, fmt.Errorf("netns: switch back: %w", err))
		return r // thread stays locked and dies with this goroutine
	}
	runtime.UnlockOSThread()
	return r
}

// enter switches the thread into h and checks that it really is there.
func enter(h netns.NsHandle) error {
	if err := netns.Set(h); err != nil {
		return fmt.Errorf("netns: enter: %w", err)
	}
	cur, err := netns.Get()
	if err != nil {
		return fmt.Errorf("netns: enter: %w", err)
	}
	defer cur.Close()
	if !cur.Equal(h) {
		return errors.New("netns: enter: thread is not in the lab namespace")
	}
	return nil
}

func callFn(fn func() error) (r doResult) {
	defer func() {
		if p := recover(); p != nil {
			r = doResult{panicked: true, panicVal: p}
		}
	}()
	return doResult{err: fn()}
}
