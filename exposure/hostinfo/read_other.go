//go:build !linux

package hostinfo

import "errors"

// Read is only implemented on Linux.
func Read() (*Host, error) { return nil, errors.New("read host: only supported on linux") }
