package hostinfo

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Read takes the snapshot from the kernel of the current network
// namespace. A host without IPv6 simply has no IPv6 routes.
func Read() (*Host, error) {
	addrs, bcast, err := readAddrs()
	if err != nil {
		return nil, err
	}
	h := &Host{Addrs: addrs, Broadcast: bcast}
	if h.Routes, err = readRoutes("/proc/net/route", ParseRoutes4); err != nil {
		return nil, err
	}
	v6, err := readRoutes("/proc/net/ipv6_route", ParseRoutes6)
	if err != nil {
		return nil, err
	}
	h.Routes = append(h.Routes, v6...)
	h.ForwardV4 = sysctlOn("/proc/sys/net/ipv4/ip_forward")
	h.ForwardV6 = sysctlOn("/proc/sys/net/ipv6/conf/all/forwarding")
	return h, nil
}

func readRoutes(path string, parse func(io.Reader) ([]Route, error)) ([]Route, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f)
}

func sysctlOn(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.TrimSpace(string(b)) == "1"
}
