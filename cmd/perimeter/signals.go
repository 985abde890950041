package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals end a command the way Ctrl-C does: its context is
// cancelled, children are killed and reaped, scratch namespaces go, and
// the exit code is 128 plus the signal's number.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// signalError is the cause of a context a signal cancelled.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string { return "interrupted by " + signalName(e.sig) }

// code is the shell's 128+N.
func (e signalError) code() int { return 128 + int(e.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// notifyContext is cancelled, with a signalError as its cause, by the
// first of stopSignals. A second signal has its default effect, so a
// command whose clean-up hangs can still be killed.
func notifyContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			sig, _ := s.(syscall.Signal)
			cancel(signalError{sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// interruption is the signal that cancelled ctx, if one did.
func interruption(ctx context.Context) (signalError, bool) {
	var se signalError
	ok := ctx.Err() != nil && errors.As(context.Cause(ctx), &se)
	return se, ok
}

// interruptedError is a command a signal stopped; it replaces whatever
// error the cancelled work returned ("context canceled", "signal:
// killed"), which would only confuse.
type interruptedError struct {
	sig     signalError
	partial bool // results were printed before the stop
}

func (e interruptedError) Error() string {
	if e.partial {
		return fmt.Sprintf("%v: the results above are partial", e.sig)
	}
	return fmt.Sprintf("%v: stopped, nothing printed", e.sig)
}

func (e interruptedError) Is(target error) bool { return target == errInterrupted }
