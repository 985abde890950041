//go:build linux

package nft

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/child"
)

// nft resolves "iif", "oif" and netdev "device" names to interfaces when it
// loads a ruleset, and refuses names the namespace lacks. A scratch
// namespace has only lo: ReadText gives it a stand-in (one end of a veth
// pair, the only kind of link every kernel has) for every name the text
// uses so.

var (
	ifRef     = regexp.MustCompile(`\b(?:iif|oif|device)\s+(?:!=\s*)?("[^"]*"|\$?[A-Za-z0-9_.@:-]+)`)
	ifSet     = regexp.MustCompile(`\b(?:iif|oif|devices\s*=)\s+(?:!=\s*)?(?:vmap\s+|map\s+)?\{([^}]*)\}`)
	defineRef = regexp.MustCompile(`(?m)^\s*define\s+([A-Za-z0-9_]+)\s*=\s*("[^"]*"|[^\s;#]+)`)
)

// interfaceNames lists the interface names a text refers to by iif, oif
// or device, through its defines.
func interfaceNames(text string) []string {
	defines := map[string]string{}
	for _, m := range defineRef.FindAllStringSubmatch(text, -1) {
		defines[m[1]] = m[2]
	}
	seen := map[string]bool{}
	var out []string
	add := func(tok string) {
		tok = strings.TrimSpace(tok)
		if v, ok := defines[strings.TrimPrefix(tok, "$")]; ok && strings.HasPrefix(tok, "$") {
			tok = v
		}
		name := strings.Trim(tok, `"`)
		if name == "" || name == "lo" || len(name) > 15 || strings.ContainsAny(name, " /$*{}") || seen[name] || keyword[name] {
			return
		}
		seen[name] = true
		out = append(out, name)
	}
	for _, m := range ifRef.FindAllStringSubmatch(text, -1) {
		add(m[1])
	}
	for _, m := range ifSet.FindAllStringSubmatch(text, -1) {
		for _, e := range strings.Split(m[1], ",") {
			key, _, _ := strings.Cut(e, ":")
			add(key)
		}
	}
	return out
}

// keyword are words after iif or oif that are not names.
var keyword = map[string]bool{"vmap": true, "map": true, "accept": true, "drop": true, "type": true}

// addInterfaces creates a stand-in for each name in the thread's
// namespace; names it cannot create are left for nft to complain of.
func addInterfaces(ctx context.Context, names []string) {
	ip, err := exec.LookPath("ip")
	if err != nil {
		return
	}
	for i, name := range names {
		peer := fmt.Sprintf("perim%d", i)
		cmd := child.Command(ctx, ip, "link", "add", name, "type", "veth", "peer", "name", peer)
		child.DieWithThread(cmd) // the scratch namespace's locked thread
		_ = cmd.Run()
	}
}
