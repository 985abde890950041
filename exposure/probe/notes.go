package probe

import "fmt"

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
	r.rateLimitNotes(run, res)
	if c := countReason(res, ReasonNoNeighbor); c > 0 {
		r.notef("%s: %s silent because the target never answered ARP or neighbour discovery (IPv6 needs ICMPv6 neighbour solicitations accepted)", p, ports(c))
	}
	if c := countReason(res, ReasonLocalError); c > 0 {
		r.notef("%s: %s unknown: the prober could not send to them (see their error)", p, ports(c))
	}
}

func (r *Report) rateLimitNotes(run Scan, res []Result) {
	p, st := run.Proto, run.Stats
	unconfirmed := countReason(res, ReasonRateLimited)
	switch {
	case st.TargetRateLimited > 0:
		r.notef("%s: the target's kernel held back %d ICMP errors (rate limit); silent ports were re-probed slowly (%s) until the counters stood still", p, st.TargetRateLimited, plural(st.SlowProbes, "probe"))
	case st.TargetRateLimited < 0 && st.SlowProbes > 0:
		r.notef("%s: the target's ICMP rate limit could not be ruled out (too few ICMP answers, or answers only to retries) and its counters cannot be read from here: silent ports were re-probed at one a second (%s)", p, plural(st.SlowProbes, "probe"))
	case st.TargetRateLimited < 0 && countState(res, Stealth) > 0:
		r.notef("%s: the target's ICMP rate-limit counters cannot be read from here; nothing suggested rate limiting (no ICMP answer, or more than the default limit lets through), so silence after retries is stealth", p)
	}
	if unconfirmed > 0 {
		r.notef("%s: %s unknown (rate-limited): silent, and the wait for the target's ICMP rate limit ended before the silence was confirmed", p, ports(unconfirmed))
	}
	if st.AnsweredOnRetry > 0 || st.ReceiveDrops > 0 {
		r.notef("%s: replies went missing (%s answered only a retry, %d replies dropped by the prober's receive queue); the rate backed off %d times", p, ports(st.AnsweredOnRetry), st.ReceiveDrops, st.Backoffs)
	}
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

func ports(n int) string { return plural(n, "port") }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
