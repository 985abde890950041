//go:build !linux

package nft

import (
	"context"
	"io"

	"github.com/perimeter-dev/perimeter/rules"
)

// ReadLive needs Linux: elsewhere it returns ErrUnsupported.
func ReadLive(ctx context.Context, opts Options) (*rules.Ruleset, error) {
	return nil, ErrUnsupported
}

// ReadText needs Linux: elsewhere it returns ErrUnsupported.
func ReadText(ctx context.Context, r io.Reader, opts Options) (*rules.Ruleset, error) {
	return nil, ErrUnsupported
}

// InScratchNetNS needs Linux: elsewhere it returns ErrUnsupported.
func InScratchNetNS(fn func() error) error {
	return ErrUnsupported
}
