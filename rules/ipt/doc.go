// Package ipt reads iptables rulesets into perimeter's model.
//
// Parse reads iptables-save text (files, or several with ParseMany as
// iptables-restore --noflush would load them), ParseRules reads
// `iptables -S` output, and ParseIPSets reads `ipset save` output so that
// -m set matches become real matches. ReadLive lists the host's tables
// with github.com/coreos/go-iptables, for both families and both
// iptables backends, and parses what it gets with ParseRules.
//
// The package only translates: every match it does not understand is
// kept as an opaque match with its text, never dropped; conditions the
// user must hear of (a set whose contents are unknown, a table iptables
// cannot show, two backends holding rules) become Ruleset notes.
//
// It is named ipt so as not to clash with the go-iptables package it
// wraps.
package ipt
