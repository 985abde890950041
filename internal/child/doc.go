// Package child starts the tools perimeter runs (nft, ip, ipset,
// iptables-restore) so that none outlives what started it: each runs in a
// process group of its own, which is killed whole and reaped when the
// context is cancelled. A child started from a goroutine locked to its
// thread can also be made to die with that thread (DieWithThread), so
// that on Linux the kernel kills it if perimeter itself dies, even by
// SIGKILL. It depends on the standard library only.
package child
