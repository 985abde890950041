// Package rulegen writes large, realistic rulesets for benchmarks and
// differential tests: a kube-proxy node (iptables mode) with a host
// firewall, and a flat list of one-port rules.
package rulegen
