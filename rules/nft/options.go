package nft

import (
	"errors"

	"github.com/perimeter-dev/perimeter/rules"
)

// Options say where a ruleset is read from and what to leave out.
type Options struct {
	// NetNSFd is an open file descriptor of the network namespace
	// ReadLive reads. -1, or 0 (the zero value: fd 0 is standard input,
	// never a namespace), reads the calling thread's own namespace.
	NetNSFd int
	// Source names the rules' origin in the model: a file, or "live"
	// (the default of ReadLive and ReadText) or "json" (ParseJSON).
	Source string
	// SkipIptablesNft leaves out the tables iptables-nft made and can
	// show, which the iptables reader reads: so that no rule counts
	// twice when both readers' rulesets are merged. Tables iptables-nft
	// cannot show are read whatever this says.
	SkipIptablesNft bool
	// SkipTable, when set, is asked about every table before
	// SkipIptablesNft is: true leaves it out. A caller that knows which
	// tables the iptables reader read (those iptables-nft-save printed)
	// answers exactly here.
	SkipTable func(family rules.Family, name string) bool
	// Nft is the nft binary, for rule texts (ReadLive) and for loading
	// text (ReadText); "" looks up "nft" in PATH.
	Nft string
}

// ErrPermission is returned by ReadText when the process may not create a
// network namespace.
var ErrPermission = errors.New("reading nft text needs root: it is loaded into a scratch network namespace")

// ErrUnsupported is returned where netlink and network namespaces are not
// available (not Linux).
var ErrUnsupported = errors.New("nft: reading the kernel's ruleset needs Linux")

func (o Options) source(dflt string) string {
	if o.Source != "" {
		return o.Source
	}
	return dflt
}

// skip reports whether the caller wants the table left out.
func (o Options) skip(t *irTable) bool {
	if o.SkipTable != nil && o.SkipTable(t.family, t.name) {
		return true
	}
	return o.SkipIptablesNft && t.backend == rules.BackendIptablesNft
}
