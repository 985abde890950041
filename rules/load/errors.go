package load

import "errors"

// ErrInput marks bad input: a file that is missing, unreadable or
// malformed. Errors that do not wrap it mean the host could not be read.
var ErrInput = errors.New("bad input")

// inputError is bad input, said as the reader said it.
type inputError struct{ err error }

func (e inputError) Error() string   { return e.err.Error() }
func (e inputError) Unwrap() []error { return []error{e.err, ErrInput} }
func badInput(err error) error       { return inputError{err} }
