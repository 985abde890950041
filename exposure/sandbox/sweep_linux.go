package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Sweep removes lab namespaces that older runs left behind (a test binary
// killed before its cleanups ran): those named by New whose creating process
// is gone. Namespaces of running processes, and any name New would not have
// made, are left alone. It returns the names it removed.
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
		if !ok || processAlive(pid) {
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
