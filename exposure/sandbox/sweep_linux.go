package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// sweepGrace is the age below which Sweep keeps a lab namespace whatever its
// lock says: New locks a namespace just after ip netns add, and a busy
// machine may stall it in between. A stale one waits a little longer.
var sweepGrace = 10 * time.Second

// Sweep removes lab namespaces that older runs left behind (a test binary
// killed before its cleanups ran). A namespace New named is stale when no
// lab holds its lock (see lockNetns), its creator's pid is not alive here
// (labs of older builds hold no lock) and it is older than sweepGrace. The
// others, and any name New would not have made, are left alone. It returns
// the names it removed.
func Sweep(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	l := &Lab{sys: labSys{ip: ip}}
	var removed []string
	var errs []error
	for _, e := range entries {
		pid, ok := parseLabName(e.Name())
		if !ok {
			continue
		}
		stale, err := isStale(e.Name(), pid)
		if err != nil {
			errs = append(errs, err) // kept: in doubt, a namespace may be in use
		}
		if !stale {
			continue
		}
		if _, err := l.runHost(ctx, nil, "netns", "delete", e.Name()); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("sweep: %w", err)
	}
	return removed, nil
}

// isStale reports whether the lab namespace name is left over. A lock is
// the proof that counts: a pid seen from another PID namespace may look dead
// while its lab runs, or belong to someone else once reused.
func isStale(name string, pid int) (bool, error) {
	f, err := os.Open(netnsDir + "/" + name)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // removed since ReadDir: nothing to do
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || time.Since(fi.ModTime()) < sweepGrace {
		return false, err
	}
	held, err := lockHeld(f)
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	return !held && !processAlive(pid), nil
}

// lockHeld reports whether a lab holds a lock on f's file. It tries an
// exclusive lock and drops it at once, so a lab locking in the meantime
// never waits on us.
func lockHeld(f *os.File) (bool, error) {
	fd := int(f.Fd())
	err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, unix.Flock(fd, unix.LOCK_UN)
}

// parseLabName parses "perim-<pid>-<8 hex>-<t|p|b>".
func parseLabName(name string) (pid int, ok bool) {
	rest, ok := strings.CutPrefix(name, NamePrefix)
	if !ok {
		return 0, false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 3 || (parts[2] != "t" && parts[2] != "p" && parts[2] != "b") || len(parts[1]) != 8 {
		return 0, false
	}
	if strings.Trim(parts[1], "0123456789abcdef") != "" {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[0])
	if err != nil || pid <= 0 || strconv.Itoa(pid) != parts[0] {
		return 0, false
	}
	return pid, true
}

func processAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}
