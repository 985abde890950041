package sockets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"runtime"
	"strings"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// List lists the listening sockets of the caller's network namespace, or
// of opts.Netns. A kernel without IPv6 is noted, not an error.
func List(ctx context.Context, opts Options) (*Listing, error) {
	l := &Listing{Schema: Schema, Notes: []string{}, Sockets: []Socket{}}
	path, err := nsPath(opts.Netns)
	if err != nil {
		return nil, err
	}
	l.Netns.Path = path
	err = inNetns(path, func() error { return l.read() })
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("list sockets: %w", ctx.Err())
	}
	l.addOwners(opts.proc())
	sortSockets(l.Sockets)
	return l, nil
}

// nsPath turns a namespace name (as ip netns names them) into its path.
func nsPath(ns string) (string, error) {
	switch {
	case ns == "":
		return "", nil
	case !strings.Contains(ns, "/"):
		ns = "/var/run/netns/" + ns
	}
	if _, err := os.Stat(ns); err != nil {
		return "", fmt.Errorf("network namespace: %w", err)
	}
	return ns, nil
}

// inNetns runs fn on a locked thread inside the namespace at path (the
// caller's when path is empty). A thread that cannot switch back is never
// reused: its goroutine ends locked.
func inNetns(path string, fn func() error) error {
	if path == "" {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		return fn()
	}
	ch := make(chan error, 1)
	go func() { ch <- inNetnsLocked(path, fn) }()
	return <-ch
}

func inNetnsLocked(path string, fn func() error) error {
	runtime.LockOSThread()
	h, err := netns.GetFromPath(path)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("network namespace %s: %w", path, err)
	}
	defer h.Close()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("network namespace: %w", err)
	}
	defer orig.Close()
	if err := netns.Set(h); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter network namespace %s: %w", path, err)
	}
	err = fn()
	if netns.Set(orig) == nil {
		runtime.UnlockOSThread()
	}
	return err
}

// read runs inside the namespace: sock_diag, else /proc/thread-self/net
// (/proc/net shows the main thread's namespace).
func (l *Listing) read() error {
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		return fmt.Errorf("list sockets: %w", err)
	}
	l.Netns.Inode = st.Ino
	v6 := ipv6Enabled()
	if !v6 {
		l.Notes = append(l.Notes, "IPv6 skipped: the kernel has no IPv6 in this namespace")
	}
	ss, err := readDiag(v6)
	l.Source = "sock_diag"
	if err != nil {
		l.Source = "/proc/net"
		l.Notes = append(l.Notes, fmt.Sprintf("sock_diag failed (%v): read /proc/net instead, where the v6only flag is unknown", err))
		if ss, err = readProc(v6); err != nil {
			return err
		}
	}
	for i := range ss {
		ss[i].Netns = st.Ino
		ss[i].Serves = serves(ss[i])
		ss[i].Iface = ifaceName(ss[i].ifindex)
	}
	l.Sockets = ss
	return nil
}

func ipv6Enabled() bool {
	_, err := os.Stat("/proc/sys/net/ipv6")
	return err == nil
}

func readDiag(v6 bool) ([]Socket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("open netlink: %w", err)
	}
	defer unix.Close(fd)
	var out []Socket
	for _, q := range queries(v6) {
		ss, err := diagDump(fd, q.v6, q.proto)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", q.proto, familyName(q.v6), err)
		}
		out = append(out, ss...)
	}
	return out, nil
}

type query struct {
	proto string
	v6    bool
}

func queries(v6 bool) []query {
	qs := []query{{"tcp", false}, {"udp", false}}
	if v6 {
		qs = append(qs, query{"tcp", true}, query{"udp", true})
	}
	return qs
}

func readProc(v6 bool) ([]Socket, error) {
	var out []Socket
	for _, q := range queries(v6) {
		f, err := os.Open("/proc/thread-self/net/" + procFile(q.proto, q.v6))
		if errors.Is(err, fs.ErrNotExist) && q.v6 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list sockets: %w", err)
		}
		ss, err := ParseProcNet(f, q.proto, q.v6)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	return out, nil
}

// ifaceName runs inside the namespace: interface indexes are per
// namespace.
func ifaceName(index uint32) string {
	if index == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(index)); err == nil {
		return ifi.Name
	}
	return fmt.Sprintf("if%d", index)
}
