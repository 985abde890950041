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

	"github.com/perimeter-dev/perimeter/internal/child"
	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// ReadLive reads the ruleset of a network namespace over netlink: the
// caller's own, or the one opts.NetNSFd refers to. It only reads. Rule
// texts come from `nft -a list ruleset` run in the same namespace, when
// nft is installed; otherwise perimeter spells them.
func ReadLive(ctx context.Context, opts Options) (*rules.Ruleset, error) {
	fd, err := nsFd(opts.NetNSFd)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	// nft spells the rules in a process of its own, while perimeter
	// reads and translates.
	texts := startTexts(ctx, fd, opts)
	o, err := readStable(ctx, fd)
	if err != nil {
		<-texts
		return nil, err
	}
	rs := Translate(o, opts)
	applyTexts(rs, <-texts)
	return rs, nil
}

// ReadObjects reads the netlink objects ReadLive translates.
func ReadObjects(ctx context.Context, opts Options) (*Objects, error) {
	fd, err := nsFd(opts.NetNSFd)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	texts := startTexts(ctx, fd, opts)
	o, err := readStable(ctx, fd)
	if err != nil {
		<-texts
		return nil, err
	}
	o.Texts = <-texts
	return o, nil
}

func startTexts(ctx context.Context, fd int, opts Options) <-chan map[RuleRef]string {
	ch := make(chan map[RuleRef]string, 1)
	if opts.NoText {
		ch <- nil
		return ch
	}
	go func() { ch <- ruleTexts(ctx, fd, opts.Nft) }()
	return ch
}

// readStable reads the ruleset until the generation before and after
// agree: it may change while it is dumped piece by piece.
func readStable(ctx context.Context, fd int) (*Objects, error) {
	for try := 0; ; try++ {
		o, stable, err := readOnce(ctx, fd)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			return nil, err
		case stable:
			return o, ctx.Err()
		case try == 4:
			return nil, errors.New("read ruleset: it kept changing while read")
		}
		time.Sleep(time.Duration(try+1) * 10 * time.Millisecond)
	}
}

// applyTexts gives rules nft's own spelling where it is known.
func applyTexts(rs *rules.Ruleset, texts map[RuleRef]string) {
	if len(texts) == 0 {
		return
	}
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				o := &r.Origin
				if text, ok := texts[RuleRef{Family: t.Family, Table: t.Name, Chain: o.Chain, Handle: o.Handle}]; ok && o.Handle != 0 {
					o.Text = text
				}
			}
		}
	}
}

// nsFd returns a descriptor of the namespace to read, the caller's own
// (its thread's) for fd <= 0, so that every connection and process of the
// read can be opened there from any thread.
func nsFd(fd int) (int, error) {
	if fd > 0 {
		dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return -1, fmt.Errorf("netns: %w", err)
		}
		return dup, nil
	}
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("netns: %w", err)
	}
	return self, nil
}

func readOnce(ctx context.Context, fd int) (*Objects, bool, error) {
	conn, stop, err := dial(ctx, fd)
	if err != nil {
		return nil, false, fmt.Errorf("netlink: %w", err)
	}
	defer conn.Close()
	defer stop()
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
	// Rules and set elements come over separate connections at once.
	rulesErr := make(chan error, 1)
	go func() {
		var err error
		o.Rules, err = dumpRules(conn)
		rulesErr <- err
	}()
	elemErr := readElements(ctx, fd, o.Sets)
	if err := errors.Join(<-rulesErr, elemErr); err != nil {
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

// dial connects to nftables in the namespace fd. Until stop is called,
// cancelling ctx sets a deadline in the past, which ends a read under way
// at once: a dump of a large ruleset takes seconds.
func dial(ctx context.Context, fd int) (conn *netlink.Conn, stop func() bool, err error) {
	conn, err = netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: fd})
	if err != nil {
		return nil, nil, err
	}
	stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return conn, stop, nil
}

// permission explains the error of a read the process may not do.
func permission(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (reading nftables needs CAP_NET_ADMIN)", err)
	}
	return err
}

// readElements reads the elements of every set, over a few connections
// at once: a ruleset of thousands of rules has thousands of anonymous
// sets, each its own request.
func readElements(ctx context.Context, fd int, sets []*Set) error {
	const workers = 4
	jobs := make(chan *Set)
	errs := make(chan error, workers)
	for range min(workers, len(sets)) {
		go func() {
			errs <- elementsWorker(ctx, fd, jobs)
		}()
	}
	var err error
	for _, s := range sets {
		if err != nil {
			break
		}
		select {
		case jobs <- s:
		case err = <-errs:
		}
	}
	close(jobs)
	for range min(workers, len(sets)) - boolInt(err != nil) {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func elementsWorker(ctx context.Context, fd int, jobs <-chan *Set) error {
	conn, stop, err := dial(ctx, fd)
	if err != nil {
		for range jobs {
		}
		return fmt.Errorf("list set elements: %w", err)
	}
	defer conn.Close()
	defer stop()
	var first error
	for s := range jobs {
		if first != nil {
			continue
		}
		els, err := dumpElements(conn, s)
		if err != nil {
			first = fmt.Errorf("list elements of set %s: %w", s.Name, err)
			continue
		}
		s.Elements = els
	}
	return first
}

// dumpElements reads one set's elements. The nftables package's
// GetSetElements does the same with one more acknowledgement per set,
// which the thousands of anonymous sets of a large ruleset feel, and
// panics on some elements it does not expect.
func dumpElements(conn *netlink.Conn, s *Set) ([]nftables.SetElement, error) {
	attrs, err := netlink.MarshalAttributes([]netlink.Attribute{
		{Type: 1, Data: []byte(s.Table.Name + "\x00")}, // NFTA_SET_ELEM_LIST_TABLE
		{Type: 2, Data: []byte(s.Name + "\x00")},       // NFTA_SET_ELEM_LIST_SET
	})
	if err != nil {
		return nil, err
	}
	req := netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(nfnlSubsysNftables<<8 | unix.NFT_MSG_GETSETELEM), Flags: netlink.Request | netlink.Dump},
		Data:   append([]byte{byte(s.Table.Family), unix.NFNETLINK_V0, 0, 0}, attrs...),
	}
	msgs, err := conn.Execute(req)
	if err != nil {
		return nil, permission(err)
	}
	var out []nftables.SetElement
	for _, m := range msgs {
		if m.Header.Flags&netlink.DumpInterrupted != 0 {
			return nil, errDumpInterrupted
		}
		if len(m.Data) < 4 {
			continue
		}
		els, err := parseElements(m.Data[4:])
		if err != nil {
			return nil, err
		}
		out = append(out, els...)
	}
	return out, nil
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
	return dumpObjects(conn, unix.NFT_MSG_GETCHAIN, "list chains", parseChain)
}

func dumpSets(conn *netlink.Conn) ([]*Set, error) {
	return dumpObjects(conn, unix.NFT_MSG_GETSET, "list sets", parseSet)
}

func dumpRules(conn *netlink.Conn) ([]*nftables.Rule, error) {
	return dumpObjects(conn, unix.NFT_MSG_GETRULE, "list rules", parseRule)
}

// dumpObjects dumps one kind of object and parses each message: its
// first byte is the family, its attributes start after the 4-byte
// nfgenmsg header.
func dumpObjects[T any](conn *netlink.Conn, msgType uint16, what string, parse func(nftables.TableFamily, []byte) (T, error)) ([]T, error) {
	msgs, err := dump(conn, msgType)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make([]T, 0, len(msgs))
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		o, err := parse(nftables.TableFamily(m.Data[0]), m.Data[4:])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, o)
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
	if err := inNetNS(fd, run); err != nil {
		return nil
	}
	return parseListing(out)
}

// nftCommand runs nft with args and returns its standard output. It must
// run on a goroutine locked to its thread, as every caller does.
func nftCommand(ctx context.Context, nft string, stdin []byte, args ...string) ([]byte, error) {
	if nft == "" {
		p, err := exec.LookPath("nft")
		if err != nil {
			return nil, fmt.Errorf("nft: %w", err)
		}
		nft = p
	}
	cmd := child.Command(ctx, nft, args...)
	child.DieWithThread(cmd) // callers run it on a locked thread (inNetNS, InScratchNetNS)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("nft %s: %w: %s", args[0], err, quote.Q(string(bytes.TrimSpace(stderr.Bytes()))))
	}
	return stdout.Bytes(), nil
}

// inNetNS runs fn on a thread switched into the namespace fd, so that a
// process fn starts runs there. The thread switches back after; if it
// cannot, it stays locked and Go ends it with its goroutine.
func inNetNS(fd int, fn func() error) error {
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: err}
			return
		}
		defer orig.Close()
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("setns: %w", err)}
			return
		}
		r := call(fn)
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) != nil {
			done <- r // the thread stays locked: it dies with this goroutine
			return
		}
		runtime.UnlockOSThread()
		done <- r
	}()
	return (<-done).get()
}
