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
	// Source names the rules' origin in the model: a file, or by default
	// "live" (ReadLive), "nft text" (ReadText) or "json" (ParseJSON).
	Source string
	// SkipIptablesNft leaves out the tables iptables-nft made and can
	// show (iptables-nft-save prints them), which the iptables reader
	// reads: so that no rule counts twice when both readers' rulesets are
	// merged. Tables iptables-nft cannot show ("incompatible") are read
	// whatever this says. From JSON, which names extensions without their
	// options, a table counts as shown when it holds xt extensions and is
	// laid out as iptables makes its tables.
	SkipIptablesNft bool
	// SkipTable, when set, is asked about every table before
	// SkipIptablesNft is: true leaves it out. A caller that knows which
	// tables the iptables reader read (those iptables-nft-save printed)
	// answers exactly here.
	SkipTable func(family rules.Family, name string) bool
	// Nft is the nft binary, for rule texts (ReadLive) and for loading
	// text (ReadText); "" looks up "nft" in PATH.
	Nft string
	// NoText skips running `nft -a list ruleset` for the rules' texts:
	// perimeter spells them itself. On a large ruleset nft's listing
	// costs about as much as the whole read.
	NoText bool
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
	return o.SkipIptablesNft && t.iptShows
}
