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
// All modes share one scheduler: ports go in random order (as nmap's do),
// sends are paced by a rate that grows while replies come back and halves
// when they go missing, all silent ports wait out one adaptive timeout
// together, and only silent ports are retried. Then the answers are
// weighed: ports that answered alike (a RST, one ICMP code) with many
// silent ports between them mark a range whose answers a limit held back
// (a limit rule in front of a reject, the kernel's ICMP limit). Only the
// silent ports of such a range are suspects; they are re-probed in bursts
// at the rate its answers come, and a silence counts as stealth only when
// later answers of the same range in the same burst prove the limit had
// room. Until then a suspect is unknown (rate-limited). A range whose
// suspects stay silent while its answered ports always answer showed no
// limit: its bursts grow, and it is reported cleared. Ranges the rules
// state are limited (Options.Paced) are paced from the start. The number
// of probes in flight stays below the prober's ephemeral ports and
// open-file limit, and a run takes at most half the conntrack entries free
// at its start: a probe's entry outlives it, and a full table makes the
// prober's host drop its own new connections.
package probe
