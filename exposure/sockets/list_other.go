//go:build !linux

package sockets

import "context"

// List is only implemented on Linux.
func List(ctx context.Context, opts Options) (*Listing, error) { return nil, ErrUnsupported }
