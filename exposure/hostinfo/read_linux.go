package hostinfo

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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
	if h.Links, err = readLinks(); err != nil {
		return nil, err
	}
	h.Conf = readConf(append([]string{"all"}, h.Links...))
	h.Name, h.Kernel = names()
	return h, nil
}

// names are the host name and the kernel release, as uname gives them.
func names() (host, kernel string) {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "", ""
	}
	return unix.ByteSliceToString(u.Nodename[:]), unix.ByteSliceToString(u.Release[:])
}

func readLinks() ([]string, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ifaces))
	for i, ifc := range ifaces {
		names[i] = ifc.Name
	}
	return names, nil
}

// readConf reads net.ipv4.conf.NAME.* of each name; a name without them
// (no IPv4 on it) is left out.
func readConf(names []string) map[string]Conf {
	out := map[string]Conf{}
	for _, name := range names {
		dir := "/proc/sys/net/ipv4/conf/" + name + "/"
		rp, err := os.ReadFile(dir + "rp_filter")
		if err != nil {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(rp)))
		out[name] = Conf{RPFilter: uint8(n), Forwarding: sysctlOn(dir + "forwarding"),
			RouteLocalnet: sysctlOn(dir + "route_localnet"), SrcValidMark: sysctlOn(dir + "src_valid_mark")}
	}
	return out
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
