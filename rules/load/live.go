package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
	"github.com/perimeter-dev/perimeter/rules/nft"
)

// Live reads both iptables backends and the nftables ruleset of the
// network namespace the caller runs in. A table iptables-nft made and
// shows faithfully is read by the iptables reader only; any other table,
// also one iptables-nft prints although native rules share it (it can
// print those wrongly), by the nft reader only. So no rule counts twice.
func Live(ctx context.Context) (*rules.Ruleset, error) {
	rs, err := ipt.ReadLive(ctx)
	switch {
	case errors.Is(err, ipt.ErrNotInstalled):
		rs = &rules.Ruleset{Notes: []string{"no iptables tools installed: read the nftables ruleset only"}}
	case err != nil:
		return nil, fmt.Errorf("read live rules: %w", err)
	}
	nrs, err := nft.ReadLive(ctx, nft.Options{NetNSFd: -1, SkipIptablesNft: true})
	if err != nil {
		return nil, fmt.Errorf("read live nftables rules: %w", err)
	}
	rs.Tables = slices.DeleteFunc(rs.Tables, func(t *rules.Table) bool {
		return t.Backend == rules.BackendIptablesNft && nrs.Table(t.Family, t.Name) != nil
	})
	rs.Merge(nrs)
	return rs, nil
}

// IsPermission tells an error of Live that only root (CAP_NET_ADMIN)
// would avoid.
func IsPermission(err error) bool {
	return errors.Is(err, ipt.ErrPermission) || errors.Is(err, nft.ErrPermission) || errors.Is(err, fs.ErrPermission)
}
