package probe

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// addNotes says what the reader of a run must know to trust its states.
func (r *Report) addNotes(run Scan, res []Result) {
	p := run.Proto
	switch run.Mode {
	case ModeSyn:
		r.notef("%s: syn mode: raw SYNs carry a keyed cookie that every reply must match; an open port's half-open connection is reset, never completed", p)
	case ModeConnect:
		r.notef("%s: connect mode: an open port's handshake completes and is reset at once, so its service sees a connection; a RST (closed) and an ICMP rejection are told apart through the socket's error queue", p)
	case ModeDatagram:
		r.notef("%s: a silent port is stealth with the doubt open|filtered: a service may ignore a datagram it does not understand (DNS, NTP, SNMP, NetBIOS, portmapper, SSDP, mDNS and memcached ports get a request they answer)", p)
	}
	if run.Stats.WindowLimit != "mode" {
		r.notef("%s: at most %d probes in flight, bounded by the prober's %s", p, run.Stats.Window, run.Stats.WindowLimit)
	}
	if w := run.Stats.ConntrackWait; w > 0 {
		r.notef("%s: sends waited %v for the prober's conntrack entries to expire: a run takes at most half the entries free at its start (%d were free)", p, w.Round(time.Millisecond), run.Stats.ConntrackFree)
	}
	r.rateLimitNotes(run, res)
	if c := countReason(res, ReasonLocalError); c > 0 {
		r.notef("%s: %s unknown: the prober could not send to them (see their error)", p, ports(c))
	}
}

func (r *Report) rateLimitNotes(run Scan, res []Result) {
	p, st := run.Proto, run.Stats
	if len(st.RateLimited) > 0 {
		r.notef("%s: answers were rate-limited in %s; their silent ports were re-probed at the rate the answers came (%s), and a silence there is stealth only when a later answer of the same range showed the limit had room", p, limitedList(st.RateLimited), plural(st.SlowProbes, "probe"))
	}
	if c := countReason(res, ReasonRateLimited); c > 0 {
		r.notef("%s: %s unknown (rate-limited): silent in a rate-limited range, and the rate-limit wait ended before their silence was settled", p, ports(c))
	}
	if len(st.Cleared) > 0 {
		r.notef("%s: silent ports between ports that answered alike in %s were re-probed, each followed by answered ones: no limit held answers back, so their silence is stealth", p, clearedList(st.Cleared))
	}
	if len(st.RateLimited) == 0 && len(st.Cleared) == 0 && countState(res, Stealth) > 0 {
		r.notef("%s: no sign of a rate limit (no silent port among ports that answered alike, no answer only to a retry), so silence after retries is stealth", p)
	}
	if st.TargetRateLimited > 0 {
		r.notef("%s: the target's kernel held back %d ICMP errors (its ICMP rate limit)", p, st.TargetRateLimited)
	}
	if st.AnsweredOnRetry > 0 || st.ReceiveDrops > 0 {
		r.notef("%s: %s answered only a retry (lost, or held back by a limit) and %d replies were dropped by the prober's receive queue; the rate backed off %d times", p, ports(st.AnsweredOnRetry), st.ReceiveDrops, st.Backoffs)
	}
}

// limitedList names up to four ranges, with their rate.
func limitedList(rs []LimitedRange) string {
	return rangeList(rs, func(x LimitedRange) string {
		if x.Stated {
			return fmt.Sprintf(", %g/s by the rules", x.PerSecond)
		}
		return fmt.Sprintf(", about %g/s", x.PerSecond)
	})
}

func clearedList(rs []LimitedRange) string {
	return rangeList(rs, func(LimitedRange) string { return "" })
}

// rangeList names up to four ranges, what they answered and what more
// says.
func rangeList(rs []LimitedRange, more func(LimitedRange) string) string {
	var parts []string
	for i, x := range rs {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("and %d more ranges", len(rs)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%d-%d (%s %s%s)", x.From, x.To, x.State, x.Reason, more(x)))
	}
	return strings.Join(parts, ", ")
}

func countReason(res []Result, reason string) int {
	n := 0
	for _, x := range res {
		if x.Reason == reason {
			n++
		}
	}
	return n
}

func countState(res []Result, st State) int {
	n := 0
	for _, x := range res {
		if x.State == st {
			n++
		}
	}
	return n
}

// portNames reads "port 53" or "ports 53, 5353".
func portNames(ps []uint16) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = strconv.Itoa(int(p))
	}
	if len(ps) == 1 {
		return "port " + names[0]
	}
	return "ports " + strings.Join(names, ", ")
}

func ports(n int) string { return plural(n, "port") }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
