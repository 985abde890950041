package main

import (
	"errors"
	"fmt"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFindings = 1 // findings at or above the --fail-on threshold
	exitUsage    = 2 // bad usage or bad input
	exitHost     = 3 // the host could not be read
	// exitInternal is any other error: a bug, or a failure perimeter did
	// not foresee (writing the output, say).
	exitInternal = 4
	// exitInterrupted follows the shell's 128+SIGINT: Ctrl-C stopped the
	// command (probe and audit print what they found so far). SIGTERM
	// and SIGHUP give 143 and 129 (signalError.code).
	exitInterrupted = 130
)

// usageError is bad usage or bad input (a malformed or missing file).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// hostError means the live host could not be read (not root, no tool).
type hostError struct{ err error }

func (e hostError) Error() string { return e.err.Error() }
func (e hostError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// errInterrupted reports a command Ctrl-C stopped.
var errInterrupted = errors.New("interrupted: the results above are partial")

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	var ue usageError
	var he hostError
	var fe findingsError
	var ie interruptedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ie):
		return ie.sig.code()
	case errors.As(err, &fe):
		return exitFindings
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.As(err, &he):
		return exitHost
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitInternal
}
