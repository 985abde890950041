//go:build !linux

package probe

import (
	"context"
	"net/netip"
)

// Run is only implemented on Linux.
func Run(ctx context.Context, target netip.Addr, jobs []Job, opts Options) (*Report, error) {
	return nil, ErrUnsupported
}
