package sockets

import (
	"errors"
	"fmt"
)

// ErrUnsupported is returned where sockets cannot be listed (not Linux).
var ErrUnsupported = errors.New("list sockets: only supported on linux")

// Options say where to look.
type Options struct {
	// Netns is the network namespace to list: a name under /var/run/netns
	// or a path such as /proc/<pid>/ns/net; empty means the caller's.
	Netns string
	// Proc is the procfs mount to find owners in (default /proc).
	Proc string
}

func (o Options) proc() string {
	if o.Proc == "" {
		return "/proc"
	}
	return o.Proc
}

// addOwners attaches processes and user names, and says when owners are
// hidden.
func (l *Listing) addOwners(proc string) {
	o, err := scanOwners(proc)
	if err != nil {
		l.Notes = append(l.Notes, fmt.Sprintf("owners unknown: %v", err))
	}
	var users userNames
	o.attach(l.Sockets, &users)
	if o.hidden > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("owners of other users' sockets are hidden: %d processes could not be read (run as root to see them)", o.hidden))
	}
}
