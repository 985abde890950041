// Package sockets lists what listens: every listening TCP socket and every
// bound, unconnected UDP socket, IPv4 and IPv6, with its bound address and
// port, the v6only flag (a socket on [::] with v6only off serves IPv4
// too), its interface binding, user, network namespace and owning
// processes.
//
// Sockets come from the kernel over netlink (sock_diag), in the caller's
// network namespace or a given one; /proc/net is the fallback and the
// format of the parser's fixtures. Owners come from /proc/<pid>/fd: without
// root, other users' processes cannot be read, and their sockets are
// listed without owner and marked so.
package sockets
