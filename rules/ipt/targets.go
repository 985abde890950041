package ipt

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/internal/reject"
	"github.com/perimeter-dev/perimeter/rules"
)

// targetSpecs are the targets perimeter understands, by the name -j
// gives. Targets with nil opts take any options and are recorded as
// StmtOther: the rest of rules.NonTerminating, which never end the walk
// and change nothing the evaluator follows. Any other target is an
// unknown one (see resolveOne).
var targetSpecs map[string]*extSpec

func init() {
	none := map[string]int{}
	targetSpecs = map[string]*extSpec{
		"ACCEPT":     {opts: none, build: verdictTarget(rules.Accept)},
		"DROP":       {opts: none, build: verdictTarget(rules.Drop)},
		"RETURN":     {opts: none, build: verdictTarget(rules.Return)},
		"REJECT":     {opts: map[string]int{"--reject-with": 1}, build: buildReject},
		"LOG":        {opts: logOpts, build: buildLog},
		"NFLOG":      {opts: nflogOpts, build: buildNFLog},
		"DNAT":       {opts: dnatOpts, build: buildDNAT},
		"REDIRECT":   {opts: map[string]int{"--to-ports": 1, "--random": 0}, build: buildRedirect},
		"SNAT":       {opts: dnatOpts, build: buildSrcNAT},
		"MASQUERADE": {opts: map[string]int{"--to-ports": 1, "--random": 0, "--random-fully": 0}, build: buildSrcNAT},
		"NETMAP":     {opts: map[string]int{"--to": 1}, build: buildSrcNAT},
		"MARK":       {opts: markOpts, build: buildMarkTarget},
		"CONNMARK":   {opts: connmarkOpts, build: buildConnmark},
		"CT":         {opts: ctOpts, build: buildCT},
		"NOTRACK":    {opts: none, build: buildCT},
		"NFQUEUE":    {opts: nfqueueOpts, build: buildQueue},
		"QUEUE":      {opts: none, build: buildQueue},
		"TPROXY":     {opts: map[string]int{"--on-port": 1, "--on-ip": 1, "--tproxy-mark": 1}, build: buildTproxy},
	}
	for _, t := range rules.NonTerminatingTargets() {
		if targetSpecs[t] == nil {
			targetSpecs[t] = &extSpec{build: buildOther}
		}
	}
}

var logOpts = map[string]int{
	"--log-level": 1, "--log-prefix": 1, "--log-tcp-sequence": 0, "--log-tcp-options": 0,
	"--log-ip-options": 0, "--log-uid": 0, "--log-macdecode": 0,
}

var nflogOpts = map[string]int{
	"--nflog-group": 1, "--nflog-prefix": 1, "--nflog-range": 1, "--nflog-size": 1, "--nflog-threshold": 1,
}

var dnatOpts = map[string]int{
	"--to-destination": 1, "--to-source": 1, "--random": 0, "--random-fully": 0, "--persistent": 0,
}

var markOpts = map[string]int{
	"--set-mark": 1, "--set-xmark": 1, "--and-mark": 1, "--or-mark": 1, "--xor-mark": 1,
}

var connmarkOpts = map[string]int{
	"--set-mark": 1, "--set-xmark": 1, "--and-mark": 1, "--or-mark": 1, "--xor-mark": 1,
	"--save-mark": 0, "--restore-mark": 0, "--mask": 1, "--nfmask": 1, "--ctmask": 1,
}

var ctOpts = map[string]int{
	"--notrack": 0, "--helper": 1, "--ctevents": 1, "--expevents": 1, "--zone": 1,
	"--zone-orig": 1, "--zone-reply": 1, "--timeout": 1,
}

var nfqueueOpts = map[string]int{
	"--queue-num": 1, "--queue-balance": 1, "--queue-bypass": 0, "--fail-open": 0, "--queue-cpu-fanout": 0,
}

func verdictTarget(k rules.VerdictKind) func(*ruleLine, *ext) error {
	return func(r *ruleLine, _ *ext) error {
		r.verdict = rules.Verdict{Kind: k}
		return nil
	}
}

// buildOther records a target whose effect on an incoming packet is
// nothing the evaluator follows; the walk continues after it.
func buildOther(r *ruleLine, e *ext) error {
	r.stmt(rules.Statement{Kind: rules.StmtOther, Text: e.text()})
	return nil
}

func buildReject(r *ruleLine, e *ext) error {
	with := rules.RejectPortUnreach
	if r.fam == rules.FamilyIPv6 {
		with = rules.RejectPortUnreach6
	}
	for _, o := range e.opts {
		t, err := rejectType(o.args[0], r.fam)
		if err != nil {
			return err
		}
		with = t
	}
	r.verdict = rules.Verdict{Kind: rules.Reject, RejectWith: with}
	return nil
}

// rejectType reads --reject-with as iptables does: any prefix of a
// type's name or alias, case ignored, the first in iptables' order.
func rejectType(s string, fam rules.Family) (string, error) {
	if t, ok := reject.ByIptables(s, fam == rules.FamilyIPv6); ok {
		return t.Name, nil
	}
	return "", fmt.Errorf("unknown reject type %s", quote.Q(s))
}

// logLevels are syslog's levels by number; iptables-save prints numbers.
var logLevels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

var logLevelAliases = map[string]string{"panic": "emerg", "error": "err", "warn": "warning"}

func buildLog(r *ruleLine, e *ext) error {
	lg := &rules.Log{Kind: "LOG", Level: "warning"}
	for _, o := range e.opts {
		switch o.name {
		case "--log-prefix":
			lg.Prefix = o.args[0]
		case "--log-level":
			lv, err := logLevel(o.args[0])
			if err != nil {
				return err
			}
			lg.Level = lv
		}
	}
	r.stmt(rules.Statement{Kind: rules.StmtLog, Log: lg, Text: e.text()})
	return nil
}

func logLevel(s string) (string, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(logLevels) {
		return logLevels[n], nil
	}
	l := strings.ToLower(s)
	if a, ok := logLevelAliases[l]; ok {
		return a, nil
	}
	for _, lv := range logLevels {
		if lv == l {
			return lv, nil
		}
	}
	return "", fmt.Errorf("unknown log level %s", quote.Q(s))
}

func buildNFLog(r *ruleLine, e *ext) error {
	lg := &rules.Log{Kind: "NFLOG"}
	for _, o := range e.opts {
		switch o.name {
		case "--nflog-prefix":
			lg.Prefix = o.args[0]
		case "--nflog-group":
			g, err := strconv.ParseUint(o.args[0], 0, 16)
			if err != nil {
				return fmt.Errorf("bad group %s", quote.Q(o.args[0]))
			}
			lg.Group = int(g)
		}
	}
	r.stmt(rules.Statement{Kind: rules.StmtLog, Log: lg, Text: e.text()})
	return nil
}

func buildDNAT(r *ruleLine, e *ext) error {
	var nat *rules.NAT
	for _, o := range e.opts {
		if o.name == "--to-source" {
			return fmt.Errorf("unknown option %s", quote.Q(o.name))
		}
		if o.name != "--to-destination" || nat != nil {
			continue // old kernels took several ranges; the first is used
		}
		var err error
		if nat, err = parseNATTo(o.args[0], r.fam); err != nil {
			return err
		}
	}
	if nat == nil {
		return fmt.Errorf("needs --to-destination")
	}
	r.verdict = rules.Verdict{Kind: rules.DNAT, NAT: nat}
	return nil
}

func buildRedirect(r *ruleLine, e *ext) error {
	nat := &rules.NAT{}
	for _, o := range e.opts {
		if o.name != "--to-ports" {
			continue
		}
		lo, hi, err := natPorts(o.args[0])
		if err != nil {
			return err
		}
		nat.Port, nat.PortHi = lo, hi
	}
	r.verdict = rules.Verdict{Kind: rules.Redirect, NAT: nat}
	return nil
}

// buildSrcNAT: SNAT, MASQUERADE and NETMAP end the nat chain. NETMAP in
// PREROUTING maps the destination prefix, which rules.NAT cannot say; it
// is recorded like the source rewrites.
func buildSrcNAT(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		if o.name == "--to-destination" {
			return fmt.Errorf("unknown option %s", quote.Q(o.name))
		}
	}
	r.verdict = rules.Verdict{Kind: rules.Accept}
	r.stmt(rules.Statement{Kind: rules.StmtOther, Text: e.text()})
	return nil
}

// parseNATTo reads a DNAT destination: ADDR[-ADDR][:PORT[-PORT]], :PORT,
// and for IPv6 [ADDR][-[ADDR]]:PORT or bare ADDR[-ADDR]. A port shift
// ("/BASE") is ignored.
func parseNATTo(s string, fam rules.Family) (*rules.NAT, error) {
	addrs, ports := splitNATTo(s, fam)
	nat := &rules.NAT{}
	if addrs != "" {
		lo, hi, isRange := strings.Cut(addrs, "-")
		var err error
		if nat.Addr, err = parseAddr(strings.Trim(lo, "[]"), fam); err != nil {
			return nil, err
		}
		if isRange {
			if nat.AddrHi, err = parseAddr(strings.Trim(hi, "[]"), fam); err != nil {
				return nil, err
			}
		}
	}
	if ports != "" {
		var err error
		if nat.Port, nat.PortHi, err = natPorts(ports); err != nil {
			return nil, err
		}
	}
	if addrs == "" && ports == "" {
		return nil, fmt.Errorf("bad destination %s", quote.Q(s))
	}
	return nat, nil
}

// splitNATTo splits the address part from the port part. An IPv6
// address is only followed by a port when bracketed.
func splitNATTo(s string, fam rules.Family) (addrs, ports string) {
	if fam == rules.FamilyIPv6 {
		if i := strings.LastIndex(s, "]:"); i >= 0 {
			return s[:i+1], s[i+2:]
		}
		if strings.HasPrefix(s, ":") && !strings.HasPrefix(s, "::") {
			return "", s[1:]
		}
		return s, ""
	}
	a, p, _ := strings.Cut(s, ":")
	return a, p
}

// natPorts reads PORT or PORT-PORT (with an optional /BASE shift).
func natPorts(s string) (lo, hi uint16, err error) {
	s, _, _ = strings.Cut(s, "/")
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = parsePort(a); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, 0, nil
	}
	if hi, err = parsePort(b); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("bad port range %s", quote.Q(s))
	}
	return lo, hi, nil
}

// markStmt converts MARK/CONNMARK's operations to the model's xmark form:
// mark = (mark &^ Mask) ^ Value.
func markStmt(o opt) (value, mask uint32, err error) {
	v, m, hasMask, err := parseMark(o.args[0])
	if err != nil {
		return 0, 0, err
	}
	if hasMask && (o.name == "--and-mark" || o.name == "--or-mark" || o.name == "--xor-mark") {
		return 0, 0, fmt.Errorf("bad value %s", quote.Q(o.args[0]))
	}
	switch o.name {
	case "--set-xmark":
		return v, m, nil
	case "--set-mark": // (mark &^ m) | v is (mark &^ (m|v)) ^ v
		return v, m | v, nil
	case "--and-mark":
		return 0, ^v, nil
	case "--or-mark":
		return v, v, nil
	}
	return v, 0, nil // --xor-mark
}

func buildMarkTarget(r *ruleLine, e *ext) error {
	if len(e.opts) != 1 {
		return fmt.Errorf("needs exactly one mark operation")
	}
	v, m, err := markStmt(e.opts[0])
	if err != nil {
		return err
	}
	r.stmt(rules.Statement{Kind: rules.StmtSetMark, Value: v, Mask: m, Text: e.text()})
	return nil
}

// buildConnmark: --save-mark is ctmark = (ctmark &^ ctmask) ^ (mark &
// nfmask) and --restore-mark is mark = (mark &^ nfmask) ^ (ctmark &
// ctmask). The model's StmtSaveMark/StmtRestoreMark copy the masked
// mark whole (exact with the all-ones masks iptables defaults to): the
// statement keeps nfmask for a save, ctmask for a restore.
func buildConnmark(r *ruleLine, e *ext) error {
	st := rules.Statement{Text: e.text()}
	nfmask, ctmask := uint32(0xffffffff), uint32(0xffffffff)
	for _, o := range e.opts {
		var err error
		switch o.name {
		case "--save-mark":
			st.Kind = rules.StmtSaveMark
		case "--restore-mark":
			st.Kind = rules.StmtRestoreMark
		case "--mask":
			nfmask, err = parseU32(o.args[0])
			ctmask = nfmask
		case "--nfmask":
			nfmask, err = parseU32(o.args[0])
		case "--ctmask":
			ctmask, err = parseU32(o.args[0])
		default:
			st.Kind = rules.StmtSetCtMark
			st.Value, st.Mask, err = markStmt(o)
		}
		if err != nil {
			return err
		}
	}
	switch st.Kind {
	case 0:
		return fmt.Errorf("needs a mark operation")
	case rules.StmtSaveMark:
		st.Mask = nfmask
	case rules.StmtRestoreMark:
		st.Mask = ctmask
	}
	r.stmt(st)
	return nil
}

// buildCT: CT --notrack and NOTRACK make the packet untracked; any other
// CT use (helpers, zones, timeouts) is recorded.
func buildCT(r *ruleLine, e *ext) error {
	kind := rules.StmtOther
	if e.name == "NOTRACK" {
		kind = rules.StmtNotrack
	}
	for _, o := range e.opts {
		if o.name == "--notrack" {
			kind = rules.StmtNotrack
		}
	}
	r.stmt(rules.Statement{Kind: kind, Text: e.text()})
	return nil
}

// buildQueue: "num 0", "num 0-3 bypass fanout".
func buildQueue(r *ruleLine, e *ext) error {
	num, flags := "0", ""
	for _, o := range e.opts {
		switch o.name {
		case "--queue-num":
			if _, err := strconv.ParseUint(o.args[0], 10, 16); err != nil {
				return fmt.Errorf("bad queue %s", quote.Q(o.args[0]))
			}
			num = o.args[0]
		case "--queue-balance":
			lo, hi, ok := strings.Cut(o.args[0], ":")
			if !ok || !isNumber(lo) || !isNumber(hi) {
				return fmt.Errorf("bad queue range %s", quote.Q(o.args[0]))
			}
			num = lo + "-" + hi
		case "--queue-bypass", "--fail-open":
			flags += " bypass"
		case "--queue-cpu-fanout":
			flags += " fanout"
		}
	}
	r.verdict = rules.Verdict{Kind: rules.Queue, Queue: "num " + num + flags}
	return nil
}

// buildTproxy: the packet goes to a local socket on --on-ip/--on-port
// (zero: the packet's own), marked by --tproxy-mark.
func buildTproxy(r *ruleLine, e *ext) error {
	nat := &rules.NAT{}
	for _, o := range e.opts {
		var err error
		switch o.name {
		case "--on-port":
			nat.Port, err = parsePort(o.args[0])
		case "--on-ip":
			var a netip.Addr
			a, err = parseAddr(o.args[0], r.fam)
			nat.Addr = a
		case "--tproxy-mark":
			var v, m uint32
			v, m, _, err = parseMark(o.args[0])
			r.stmt(rules.Statement{Kind: rules.StmtSetMark, Value: v, Mask: m, Text: o.text})
		}
		if err != nil {
			return err
		}
	}
	r.verdict = rules.Verdict{Kind: rules.Tproxy, NAT: nat}
	return nil
}
