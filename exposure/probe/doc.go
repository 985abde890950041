// Package probe tells, port by port, what a prober from outside sees of a
// target: open, closed, rejected, stealth or unknown (see DESIGN.md), with
// the reason, the reply's TTL and the round-trip time.
//
// TCP has two modes. The syn mode (raw sockets, CAP_NET_RAW) sends SYNs
// whose sequence number is a keyed cookie, validates every reply against it
// and never completes a handshake. The connect mode needs no privilege:
// non-blocking connect() with IP_RECVERR, so an ICMP rejection is read with
// its type and code from the socket's error queue and told apart from a RST.
// UDP uses one unconnected socket per run with IP_RECVERR: every ICMP error
// arrives with the port it answers, and common services get a payload they
// answer (DNS, NTP, SNMP, ...).
//
// All modes share one scheduler: sends are paced by a rate that grows while
// replies come back and halves when they go missing, all silent ports wait
// out one adaptive timeout together, only silent ports are retried, and when
// the target's ICMP rate limit may have eaten answers the silent ports are
// re-probed slowly until their silence is confirmed or the wait budget ends.
// The number of probes in flight stays below the prober's ephemeral ports,
// open-file limit and free conntrack entries.
package probe
