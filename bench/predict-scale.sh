#!/usr/bin/env bash
# Times `perimeter rules --iptables-save FILE --output json` from start to
# end on generated rulesets: kube-proxy nodes (iptables mode, ClusterIP and
# NodePort services with two endpoints each, a host firewall) of 500 to
# 10,000 services, and flat rulesets of one-port rules. Prints, per file,
# its rules, the median wall time of N runs and the peak memory.
#
# Usage: bench/predict-scale.sh [-runs N]
# Needs: Go and GNU time (/usr/bin/time). Touches nothing outside a
# temporary directory; no root needed.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
if [ "${1:-}" = -runs ]; then runs=$2; fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/perimeter" ./cmd/perimeter
go build -o "$dir/rulegen" ./bench/rulegen

printf '%-16s %8s %10s %10s\n' ruleset rules median peak
for spec in kube:500 kube:1000 kube:2000 kube:5000 kube:10000 flat:5000 flat:50000; do
	shape=${spec%%:*} n=${spec##*:}
	file="$dir/$shape-$n.v4"
	"$dir/rulegen" "$shape" "$n" >"$file"
	times=() peak=0
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%e %M' -o "$dir/time" "$dir/perimeter" rules --iptables-save "$file" --output json >/dev/null
		read -r secs kb <"$dir/time"
		times+=("$secs")
		peak=$((kb > peak ? kb : peak))
	done
	median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
	printf '%-16s %8d %9ss %7d MB\n' "$shape-$n" "$(grep -c '^-A' "$file")" "$median" $((peak / 1024))
done
