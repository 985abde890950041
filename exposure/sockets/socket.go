package sockets

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// Schema names the JSON layout of Listing.
const Schema = "perimeter.listeners/v1"

// Socket is a listening TCP socket or a bound, unconnected UDP socket.
type Socket struct {
	Proto  string     `json:"protocol"` // "tcp" or "udp"
	Family string     `json:"family"`   // "ipv4" or "ipv6"
	Addr   netip.Addr `json:"address"`
	Port   uint16     `json:"port"`
	// V6Only is set for IPv6 sockets when known: false on [::] means the
	// socket takes IPv4 connections too.
	V6Only *bool `json:"v6only,omitempty"`
	// Serves lists the families that reach the socket.
	Serves []string `json:"serves"`
	// Iface is the interface the socket is bound to (SO_BINDTODEVICE).
	Iface string `json:"interface,omitempty"`
	UID   uint32 `json:"uid"`
	User  string `json:"user,omitempty"`
	Inode uint64 `json:"inode"`
	// Netns is the inode number of the socket's network namespace.
	Netns     uint64    `json:"netns"`
	Processes []Process `json:"processes"`
	// OwnerHidden: no owner found, and some processes could not be read
	// (other users' processes, without root).
	OwnerHidden bool `json:"owner_hidden,omitempty"`

	ifindex uint32
}

// Process is a process that holds the socket open.
type Process struct {
	PID  int    `json:"pid"`
	Name string `json:"name"`
	Exe  string `json:"exe,omitempty"` // empty when unreadable
}

// Namespace names a network namespace.
type Namespace struct {
	Inode uint64 `json:"inode"`
	Path  string `json:"path,omitempty"` // as given; empty for the caller's namespace
}

// Listing is what List found.
type Listing struct {
	Schema  string    `json:"schema"`
	Netns   Namespace `json:"netns"`
	Source  string    `json:"source"` // "sock_diag" or "/proc/net"
	Sockets []Socket  `json:"sockets"`
	Notes   []string  `json:"notes"`
}

// Local returns addr:port (with %iface when bound to one), the way ss
// prints it, "*" standing for a [::] socket that serves IPv4 too.
func (s Socket) Local() string {
	a := s.Addr.String()
	switch {
	case s.Addr.IsUnspecified() && s.Family == "ipv6" && s.V6Only != nil && !*s.V6Only:
		a = "*"
	case s.Family == "ipv6":
		a = "[" + a + "]"
	}
	if s.Iface != "" {
		a += "%" + s.Iface
	}
	return fmt.Sprintf("%s:%d", a, s.Port)
}

// serves works out which families reach the socket.
func serves(s Socket) []string {
	switch {
	case s.Family == "ipv4":
		return []string{"ipv4"}
	case s.Addr.Is4In6():
		return []string{"ipv4"}
	case s.Addr.IsUnspecified() && s.V6Only != nil && !*s.V6Only:
		return []string{"ipv4", "ipv6"}
	}
	return []string{"ipv6"}
}

func sortSockets(ss []Socket) {
	slices.SortFunc(ss, func(a, b Socket) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port),
			cmp.Compare(a.Family, b.Family), a.Addr.Compare(b.Addr), cmp.Compare(a.Inode, b.Inode))
	})
}

func boolPtr(b bool) *bool { return &b }
