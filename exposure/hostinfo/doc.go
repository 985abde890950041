// Package hostinfo reads, without changing anything, what the firewall
// evaluation must know of the host: its interfaces and addresses, its
// routes (the default route names the interface traffic from outside
// arrives on), and whether it forwards.
package hostinfo
