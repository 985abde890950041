package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/perimeter-dev/perimeter/internal/child"
)

// netnsDir is where ip(8) keeps named namespaces.
const netnsDir = "/var/run/netns"

// labSys is the Linux part of a Lab.
type labSys struct {
	ip             string // path of ip(8)
	target, prober netns.NsHandle
	backend        netns.NsHandle
	locks          []*os.File // namespace files under a shared flock until Close

	mu        sync.Mutex
	closed    bool
	active    sync.WaitGroup // running Do calls
	listeners map[listenKey]*listener
}

// New creates a lab: two fresh namespaces, a veth pair between them, the
// addresses, routes and sysctls of cfg. On error nothing is left behind.
func New(ctx context.Context, cfg Config) (*Lab, error) {
	ip, err := exec.LookPath("ip")
	if err != nil {
		return nil, fmt.Errorf("new lab: %w", err)
	}
	v6 := ipv6Available()
	cfg = cfg.withDefaults(v6)
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new lab: %w", err)
	}
	if !v6 && (firstAddr(cfg.TargetAddrs, true).IsValid() || firstAddr(cfg.ProberAddrs, true).IsValid()) {
		return nil, errors.New("new lab: IPv6 addresses given but the kernel has no IPv6")
	}
	base, err := newBaseName()
	if err != nil {
		return nil, fmt.Errorf("new lab: %w", err)
	}
	l := &Lab{
		Target: base + "-t", Prober: base + "-p",
		TargetIface: cfg.TargetIface, ProberIface: ProberIface,
		TargetAddrs: cfg.TargetAddrs, ProberAddrs: cfg.ProberAddrs,
		cfg: cfg,
		sys: labSys{ip: ip, target: netns.None(), prober: netns.None(), backend: netns.None()},
	}
	if cfg.Backend != nil {
		l.Backend = base + "-b"
		l.cfg.Forwarding = true
	}
	if err := l.setup(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("new lab: %w", err), l.Close())
	}
	return l, nil
}

func ipv6Available() bool {
	_, err := os.Stat("/proc/sys/net/ipv6")
	return err == nil
}

// newBaseName returns "perim-<pid>-<8 hex>". Sweep judges a lab by its locks
// (see lockNetns); the pid only keeps the labs of older builds, which hold
// none, while their creator runs.
func newBaseName() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%d-%s", NamePrefix, os.Getpid(), hex.EncodeToString(b[:])), nil
}

// namespaces lists the lab's namespaces.
func (l *Lab) namespaces() []string {
	if l.Backend != "" {
		return []string{l.Target, l.Prober, l.Backend}
	}
	return []string{l.Target, l.Prober}
}

func (l *Lab) setup(ctx context.Context) error {
	for _, ns := range l.namespaces() {
		if err := l.addNetns(ctx, ns); err != nil {
			return err
		}
	}
	var err error
	if l.sys.target, err = netns.GetFromName(l.Target); err != nil {
		return fmt.Errorf("open netns: %w", err)
	}
	if l.sys.prober, err = netns.GetFromName(l.Prober); err != nil {
		return fmt.Errorf("open netns: %w", err)
	}
	if l.Backend != "" {
		if l.sys.backend, err = netns.GetFromName(l.Backend); err != nil {
			return fmt.Errorf("open netns: %w", err)
		}
	}
	if err := l.setSysctls(); err != nil {
		return err
	}
	if _, err := l.runHost(ctx, strings.NewReader(l.targetBatch()), "-n", l.Target, "-batch", "-"); err != nil {
		return err
	}
	if _, err = l.runHost(ctx, strings.NewReader(l.proberBatch()), "-n", l.Prober, "-batch", "-"); err != nil || l.Backend == "" {
		return err
	}
	if _, err := l.runHost(ctx, strings.NewReader(l.backendLinkBatch()), "-n", l.Target, "-batch", "-"); err != nil {
		return err
	}
	_, err = l.runHost(ctx, strings.NewReader(l.backendBatch()), "-n", l.Backend, "-batch", "-")
	return err
}

// addNetns creates the namespace ns and takes its lock at once, so it is
// unlocked only for the moment Sweep's sweepGrace covers.
func (l *Lab) addNetns(ctx context.Context, ns string) error {
	if _, err := l.runHost(ctx, nil, "netns", "add", ns); err != nil {
		if strings.Contains(err.Error(), "not permitted") || strings.Contains(err.Error(), "ermission denied") {
			return fmt.Errorf("%w: %v", ErrNoPrivilege, err)
		}
		return err
	}
	return l.lockNetns(ns)
}

// lockNetns takes a shared flock on the file of the namespace ns and keeps
// it open until Close: Sweep leaves a locked namespace alone. Unlike our pid,
// the lock is seen from every PID namespace that shares netnsDir, and the
// kernel drops it when this process dies. It does not wait: Sweep tries its
// exclusive lock only on namespaces older than sweepGrace.
func (l *Lab) lockNetns(ns string) error {
	f, err := os.Open(netnsDir + "/" + ns)
	if err != nil {
		return fmt.Errorf("lock netns: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
		f.Close()
		return fmt.Errorf("lock netns %s: %w", ns, err)
	}
	l.sys.locks = append(l.sys.locks, f)
	return nil
}

// backendLinkBatch links the target to the backend.
func (l *Lab) backendLinkBatch() string {
	b := l.cfg.Backend
	var sb strings.Builder
	fmt.Fprintf(&sb, "link add %s address %s type veth peer name eth0 address %s netns %s\n", b.Iface, macBackendLink, macBackend, l.Backend)
	writeIfaceBatch(&sb, b.Iface, b.TargetAddrs, b.Addrs)
	return sb.String()
}

// backendBatch addresses the backend and routes everything back through
// the target.
func (l *Lab) backendBatch() string {
	b := l.cfg.Backend
	var sb strings.Builder
	fmt.Fprintf(&sb, "link set lo up\n")
	writeIfaceBatch(&sb, "eth0", b.Addrs, b.TargetAddrs)
	for _, v6 := range []bool{false, true} {
		if gw := firstAddr(b.TargetAddrs, v6); gw.IsValid() {
			fmt.Fprintf(&sb, "route replace default via %s dev eth0\n", gw)
		}
	}
	return sb.String()
}

// targetBatch is the ip -batch script that sets up the target; it creates
// the veth pair from inside the target, so the host never sees it.
func (l *Lab) targetBatch() string {
	var b strings.Builder
	fmt.Fprintf(&b, "link set lo up\n")
	fmt.Fprintf(&b, "link add %s address %s type veth peer name %s address %s netns %s\n", l.TargetIface, macTarget, l.ProberIface, macProber, l.Prober)
	writeIfaceBatch(&b, l.TargetIface, l.TargetAddrs, l.ProberAddrs)
	return b.String()
}

func (l *Lab) proberBatch() string {
	var b strings.Builder
	fmt.Fprintf(&b, "link set lo up\n")
	writeIfaceBatch(&b, l.ProberIface, l.ProberAddrs, l.TargetAddrs)
	return b.String()
}

// The lab's MAC addresses are fixed (locally administered), so its IPv6
// link-local addresses, and any output that shows them, are the same
// from run to run. Each lab has namespaces of its own, so they never
// meet.
const (
	macTarget      = "02:00:00:00:00:01"
	macProber      = "02:00:00:00:00:02"
	macBackendLink = "02:00:00:00:00:03"
	macBackend     = "02:00:00:00:00:04"
)

func writeIfaceBatch(b *strings.Builder, iface string, local, peer []netip.Prefix) {
	for _, p := range local {
		nodad := ""
		if p.Addr().Is6() {
			nodad = " nodad"
		}
		fmt.Fprintf(b, "address add %s dev %s%s\n", p, iface, nodad)
	}
	fmt.Fprintf(b, "link set %s up\n", iface)
	for _, p := range peerRoutes(local, peer) {
		fmt.Fprintf(b, "route replace %s dev %s\n", p, iface)
	}
}

// sysctl is one /proc/sys write; optional ones may be missing on older
// kernels.
type sysctl struct {
	path, value string
	optional    bool
}

func (l *Lab) setSysctls() error {
	var common []sysctl
	if ipv6Available() {
		common = append(common,
			sysctl{"net/ipv6/conf/all/accept_dad", "0", false},
			sysctl{"net/ipv6/conf/default/accept_dad", "0", false})
	}
	target := common
	if !l.cfg.ICMPRateLimit {
		target = append(target,
			sysctl{"net/ipv4/icmp_ratelimit", "0", false},
			sysctl{"net/ipv4/icmp_ratemask", "0", true},
			sysctl{"net/ipv4/icmp_msgs_per_sec", "1000000", true},
			sysctl{"net/ipv4/icmp_msgs_burst", "1000000", true})
		if ipv6Available() {
			target = append(target,
				sysctl{"net/ipv6/icmp/ratelimit", "0", false},
				sysctl{"net/ipv6/icmp/ratemask", "0", true})
		}
	}
	if l.cfg.Forwarding {
		target = append(target, sysctl{"net/ipv4/ip_forward", "1", false})
		if ipv6Available() {
			target = append(target, sysctl{"net/ipv6/conf/all/forwarding", "1", false})
		}
	}
	if err := l.writeSysctls(l.Target, target); err != nil {
		return err
	}
	if l.Backend != "" {
		if err := l.writeSysctls(l.Backend, common); err != nil {
			return err
		}
	}
	return l.writeSysctls(l.Prober, common)
}

// writeSysctls writes /proc/sys from a thread inside the lab namespace ns:
// /proc/sys/net follows the writing thread's namespace.
func (l *Lab) writeSysctls(ns string, list []sysctl) error {
	return l.Do(ns, func() error {
		for _, s := range list {
			err := os.WriteFile("/proc/sys/"+s.path, []byte(s.value), 0)
			if err != nil && !(s.optional && errors.Is(err, os.ErrNotExist)) {
				return fmt.Errorf("sysctl %s: %w", s.path, err)
			}
		}
		return nil
	})
}

// Close removes the listeners and the namespaces, and releases their locks.
// It is idempotent and safe to call on a half-built lab.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.close() })
	return l.closeErr
}

func (l *Lab) close() error {
	l.sys.mu.Lock()
	l.sys.closed = true
	ls := l.sys.listeners
	l.sys.listeners = nil
	l.sys.mu.Unlock()
	for _, ln := range ls {
		ln.stop()
	}
	l.sys.active.Wait()
	var errs []error
	for _, h := range []*netns.NsHandle{&l.sys.target, &l.sys.prober, &l.sys.backend} {
		if h.IsOpen() {
			errs = append(errs, h.Close())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, ns := range l.namespaces() {
		errs = append(errs, l.deleteNetns(ctx, ns))
	}
	// The locks go last, so no Sweep in another PID namespace takes the
	// namespaces for stale and deletes them under us.
	for _, f := range l.sys.locks {
		errs = append(errs, f.Close())
	}
	l.sys.locks = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close lab: %w", err)
	}
	return nil
}

func (l *Lab) deleteNetns(ctx context.Context, ns string) error {
	if _, err := os.Lstat(netnsDir + "/" + ns); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	_, err := l.runHost(ctx, nil, "netns", "delete", ns)
	return err
}

// Run runs a command inside one of the lab's namespaces (ns is l.Target or
// l.Prober) with ip netns exec and returns its stdout. The error includes
// the command's stderr.
func (l *Lab) Run(ctx context.Context, ns string, stdin io.Reader, name string, args ...string) ([]byte, error) {
	if !slices.Contains(l.namespaces(), ns) {
		return nil, fmt.Errorf("run %s: %q is not a namespace of this lab", name, ns)
	}
	if l.isClosed() {
		return nil, fmt.Errorf("run %s: lab closed", name)
	}
	out, err := l.runHost(ctx, stdin, append([]string{"netns", "exec", ns, name}, args...)...)
	if err != nil {
		return out, fmt.Errorf("run %w", err)
	}
	return out, nil
}

// runHost runs ip(8) with args and returns stdout; the error names the
// command and carries its stderr.
func (l *Lab) runHost(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := child.Command(ctx, l.sys.ip, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return stdout.Bytes(), fmt.Errorf("%s: %w", cmdName(args), err)
		}
		return stdout.Bytes(), fmt.Errorf("%s: %w: %s", cmdName(args), err, msg)
	}
	return stdout.Bytes(), nil
}

// cmdName names the command in errors: the tool for "netns exec", else ip.
func cmdName(args []string) string {
	if len(args) > 3 && args[0] == "netns" && args[1] == "exec" {
		return args[3]
	}
	return "ip " + strings.Join(args[:min(len(args), 3)], " ")
}

func (l *Lab) isClosed() bool {
	l.sys.mu.Lock()
	defer l.sys.mu.Unlock()
	return l.sys.closed
}

// LoadIPTables loads an iptables-save style ruleset into the target with
// iptables-restore (ip6tables-restore when v6). legacy selects the legacy
// x_tables backend (iptables-legacy-restore); otherwise the nf_tables one
// (iptables-nft-restore when installed, else iptables-restore). noflush
// keeps the rules already loaded (--noflush).
func (l *Lab) LoadIPTables(ctx context.Context, v6, legacy, noflush bool, rules io.Reader) error {
	args := []string{"-w", "10"}
	if noflush {
		args = append(args, "--noflush")
	}
	if _, err := l.Run(ctx, l.Target, rules, iptablesRestore(v6, legacy), args...); err != nil {
		return fmt.Errorf("load iptables: %w", err)
	}
	return nil
}

func iptablesRestore(v6, legacy bool) string {
	base := "iptables"
	if v6 {
		base = "ip6tables"
	}
	if legacy {
		return base + "-legacy-restore"
	}
	if _, err := exec.LookPath(base + "-nft-restore"); err == nil {
		return base + "-nft-restore"
	}
	return base + "-restore"
}

// LoadNft loads an nft script into the target (nft -f -).
func (l *Lab) LoadNft(ctx context.Context, text io.Reader) error {
	if _, err := l.Run(ctx, l.Target, text, "nft", "-f", "-"); err != nil {
		return fmt.Errorf("load nft: %w", err)
	}
	return nil
}

// LoadNftJSON loads an nft JSON ruleset into the target (nft -j -f -).
func (l *Lab) LoadNftJSON(ctx context.Context, json io.Reader) error {
	if _, err := l.Run(ctx, l.Target, json, "nft", "-j", "-f", "-"); err != nil {
		return fmt.Errorf("load nft json: %w", err)
	}
	return nil
}

// LoadIPSet loads ipset save output into the target (ipset restore).
func (l *Lab) LoadIPSet(ctx context.Context, r io.Reader) error {
	if _, err := l.Run(ctx, l.Target, r, "ipset", "restore"); err != nil {
		return fmt.Errorf("load ipset: %w", err)
	}
	return nil
}
