//go:build linux

package nft

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/perimeter-dev/perimeter/rules"
)

// ReadLive reads the ruleset of a network namespace over netlink: the
// caller's own, or the one opts.NetNSFd refers to. It only reads. Rule
// texts come from `nft -a list ruleset` run in the same namespace, when
// nft is installed; otherwise perimeter spells them.
func ReadLive(ctx context.Context, opts Options) (*rules.Ruleset, error) {
	o, err := ReadObjects(ctx, opts)
	if err != nil {
		return nil, err
	}
	return Translate(o, opts), nil
}

// ReadObjects reads the netlink objects ReadLive translates.
func ReadObjects(ctx context.Context, opts Options) (*Objects, error) {
	fd := opts.NetNSFd
	if fd < 0 {
		fd = 0
	}
	// The ruleset may change while it is dumped piece by piece: read it
	// again until the generation before and after agree.
	for try := 0; ; try++ {
		o, stable, err := readOnce(fd)
		if err != nil {
			return nil, err
		}
		if stable || try == 4 {
			if !stable {
				return nil, errors.New("read ruleset: it kept changing while read")
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			o.Texts = ruleTexts(ctx, fd, opts.Nft)
			return o, nil
		}
		time.Sleep(time.Duration(try+1) * 10 * time.Millisecond)
	}
}

func readOnce(fd int) (*Objects, bool, error) {
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: fd})
	if err != nil {
		return nil, false, fmt.Errorf("netlink: %w", err)
	}
	defer conn.Close()
	gen, err := generation(conn)
	if err != nil {
		return nil, false, err
	}
	o := &Objects{}
	if o.Tables, err = listTables(fd); err != nil {
		return nil, false, err
	}
	if o.Chains, err = dumpChains(conn); err != nil {
		return nil, false, err
	}
	if o.Sets, err = dumpSets(conn); err != nil {
		return nil, false, err
	}
	if err := readElements(fd, o.Sets); err != nil {
		return nil, false, err
	}
	if o.Rules, err = dumpRules(conn); err != nil {
		return nil, false, err
	}
	if o.Ifaces, err = interfaces(fd); err != nil {
		return nil, false, err
	}
	after, err := generation(conn)
	return o, err == nil && after == gen, err
}

func listTables(fd int) ([]*nftables.Table, error) {
	c, err := nftables.New(nftables.WithNetNSFd(fd))
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	ts, err := c.ListTablesOfFamily(nftables.TableFamilyUnspecified)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", permission(err))
	}
	return ts, nil
}

// permission explains the error of a read the process may not do.
func permission(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (reading nftables needs CAP_NET_ADMIN)", err)
	}
	return err
}

// readElements reads the elements of every set, over one connection.
func readElements(fd int, sets []*Set) error {
	if len(sets) == 0 {
		return nil
	}
	c, err := nftables.New(nftables.AsLasting(), nftables.WithNetNSFd(fd))
	if err != nil {
		return fmt.Errorf("list set elements: %w", err)
	}
	defer c.CloseLasting()
	for _, s := range sets {
		els, err := setElements(c, s)
		if err != nil {
			return fmt.Errorf("list elements of set %s: %w", s.Name, err)
		}
		s.Elements = els
	}
	return nil
}

// setElements guards against the package's decoder panicking on an
// element it does not expect.
func setElements(c *nftables.Conn, s *Set) (els []nftables.SetElement, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decode: %v", r)
		}
	}()
	return c.GetSetElements(&s.Set)
}

const nfnlSubsysNftables = 10

// dump sends a dump request for every family and returns the message
// bodies (after nfgenmsg) with their families.
func dump(conn *netlink.Conn, msgType uint16) ([]netlink.Message, error) {
	req := netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(nfnlSubsysNftables<<8 | msgType), Flags: netlink.Request | netlink.Dump},
		Data:   []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	}
	msgs, err := conn.Execute(req)
	if err != nil {
		return nil, permission(err)
	}
	for _, m := range msgs {
		if m.Header.Flags&netlink.DumpInterrupted != 0 {
			return nil, errDumpInterrupted
		}
	}
	return msgs, nil
}

var errDumpInterrupted = errors.New("dump interrupted: the ruleset changed")

func generation(conn *netlink.Conn) (uint32, error) {
	req := netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(nfnlSubsysNftables<<8 | unix.NFT_MSG_GETGEN), Flags: netlink.Request},
		Data:   []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	}
	msgs, err := conn.Execute(req)
	if err != nil {
		return 0, fmt.Errorf("get generation: %w", permission(err))
	}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		ad, err := newDecoder(m.Data[4:])
		if err != nil {
			return 0, err
		}
		for ad.Next() {
			if ad.Type() == 1 { // NFTA_GEN_ID
				return be32(ad.Bytes()), nil
			}
		}
	}
	return 0, errors.New("get generation: no id")
}

func dumpChains(conn *netlink.Conn) ([]*Chain, error) {
	msgs, err := dump(conn, unix.NFT_MSG_GETCHAIN)
	if err != nil {
		return nil, fmt.Errorf("list chains: %w", err)
	}
	var out []*Chain
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		c, err := parseChain(nftables.TableFamily(m.Data[0]), m.Data[4:])
		if err != nil {
			return nil, fmt.Errorf("list chains: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

func dumpSets(conn *netlink.Conn) ([]*Set, error) {
	msgs, err := dump(conn, unix.NFT_MSG_GETSET)
	if err != nil {
		return nil, fmt.Errorf("list sets: %w", err)
	}
	var out []*Set
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		s, err := parseSet(nftables.TableFamily(m.Data[0]), m.Data[4:])
		if err != nil {
			return nil, fmt.Errorf("list sets: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

func dumpRules(conn *netlink.Conn) ([]*nftables.Rule, error) {
	msgs, err := dump(conn, unix.NFT_MSG_GETRULE)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	out := make([]*nftables.Rule, 0, len(msgs))
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		r, err := parseRule(nftables.TableFamily(m.Data[0]), m.Data[4:])
		if err != nil {
			return nil, fmt.Errorf("list rules: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// interfaces names the namespace's interfaces by index (RTM_GETLINK).
func interfaces(fd int) (map[uint32]string, error) {
	conn, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: fd})
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	defer conn.Close()
	req := netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request | netlink.Dump},
		Data:   make([]byte, unix.SizeofIfInfomsg),
	}
	msgs, err := conn.Execute(req)
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	out := map[uint32]string{}
	for _, m := range msgs {
		if len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		idx := ne.Uint32(m.Data[4:8])
		ad, err := netlink.NewAttributeDecoder(m.Data[unix.SizeofIfInfomsg:])
		if err != nil {
			continue
		}
		for ad.Next() {
			if ad.Type() == unix.IFLA_IFNAME {
				out[idx] = cstring(ad.Bytes())
			}
		}
	}
	return out, nil
}

// ruleTexts runs `nft -a list ruleset` in the namespace and reads back
// nft's own spelling of each rule; nil when nft is missing or fails.
func ruleTexts(ctx context.Context, fd int, nft string) map[RuleRef]string {
	var out []byte
	run := func() error {
		var err error
		out, err = nftCommand(ctx, nft, nil, "-a", "list", "ruleset")
		return err
	}
	var err error
	if fd == 0 {
		err = run()
	} else {
		err = inNetNS(fd, run)
	}
	if err != nil {
		return nil
	}
	return parseListing(out)
}

// nftCommand runs nft with args and returns its standard output.
func nftCommand(ctx context.Context, nft string, stdin []byte, args ...string) ([]byte, error) {
	if nft == "" {
		p, err := exec.LookPath("nft")
		if err != nil {
			return nil, fmt.Errorf("nft: %w", err)
		}
		nft = p
	}
	cmd := exec.CommandContext(ctx, nft, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("nft %s: %w: %s", args[0], err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// inNetNS runs fn on a thread switched into the namespace fd, so that a
// process fn starts runs there. The thread switches back after; if it
// cannot, it stays locked and Go ends it with its goroutine.
func inNetNS(fd int, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open(fmt.Sprintf("/proc/thread-self/ns/net"))
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer orig.Close()
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("setns: %w", err)
			return
		}
		err = fn()
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) != nil {
			done <- err // the thread stays locked: it dies with this goroutine
			return
		}
		runtime.UnlockOSThread()
		done <- err
	}()
	return <-done
}
