#!/usr/bin/env bash
# Times `perimeter probe --mode syn` against `nmap -sS -T4` on all 65,535 TCP
# ports of a scratch target, and checks both tools' answers port by port
# against the rules.
#
# It builds a two-namespace lab per target (a target and a prober joined by a
# veth, 198.18.0.0/24, nothing else touched): open (accept policy), reject,
# drop, rstlimit (RSTs behind a limit rule), smallreject (a drop host that
# rejects 7000-7100, the kernel's ICMP limit on), udp, and smallreject-4src
# and udp-4src, where perimeter probes from 4 addresses of the prober (the
# kernel limits its ICMP errors per address). Ports 22, 80, 443 and 8080
# listen and are accepted, 3306 listens and is dropped, 9000 is accepted with
# nothing listening. Both tools run from the prober, alternating, for several
# rounds; on a target with rate limits each run first waits until they are
# full again. It prints the medians, the ratio, the misclassified ports and
# the peak memory of each tool.
#
# Usage: sudo bench/probe-vs-nmap.sh [-rounds N] [-targets drop,reject,...]
# Needs: root, Go, nmap, iproute2, iptables.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "probe-vs-nmap: run as root (it creates network namespaces and opens raw sockets)" >&2
	exit 1
fi
for tool in go nmap ip iptables-restore; do
	command -v "$tool" >/dev/null || { echo "probe-vs-nmap: needs $tool" >&2; exit 1; }
done

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/perimeter" ./cmd/perimeter
go build -o "$bin/probebench" ./bench/probebench
"$bin/probebench" -perimeter "$bin/perimeter" -nmap "$(command -v nmap)" "$@"
