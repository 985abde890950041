//go:build !linux

package ipt

import (
	"context"
	"errors"

	"github.com/perimeter-dev/perimeter/rules"
)

// ReadLive reads the kernel's iptables rules; only Linux has them.
func ReadLive(ctx context.Context) (*rules.Ruleset, error) {
	return nil, errors.ErrUnsupported
}
