package sockets

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// fakeProc builds a procfs tree: pid 100 (sshd) holds socket 555 twice,
// pid 200 (nginx) and 201 (its worker) share socket 777, pid 300 holds no
// socket.
func fakeProc(t *testing.T) string {
	root := t.TempDir()
	proc := func(pid, comm, exe string, fds map[string]string) {
		dir := filepath.Join(root, pid)
		must(t, os.MkdirAll(filepath.Join(dir, "fd"), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "comm"), []byte(comm+"\n"), 0o644))
		must(t, os.Symlink(exe, filepath.Join(dir, "exe")))
		for fd, target := range fds {
			must(t, os.Symlink(target, filepath.Join(dir, "fd", fd)))
		}
	}
	proc("100", "sshd", "/usr/sbin/sshd", map[string]string{"3": "socket:[555]", "4": "socket:[555]", "5": "/dev/null"})
	proc("200", "nginx", "/usr/sbin/nginx (deleted)", map[string]string{"6": "socket:[777]"})
	proc("201", "nginx", "/usr/sbin/nginx", map[string]string{"6": "socket:[777]", "7": "pipe:[9]"})
	proc("300", "cron", "/usr/sbin/cron", nil)
	must(t, os.MkdirAll(filepath.Join(root, "self"), 0o755))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOwners(t *testing.T) {
	o, err := scanOwners(fakeProc(t))
	if err != nil {
		t.Fatal(err)
	}
	ss := []Socket{{Inode: 555, UID: 0}, {Inode: 777}, {Inode: 999}}
	var users userNames
	o.attach(ss, &users)
	if p := ss[0].Processes; len(p) != 1 || p[0] != (Process{100, "sshd", "/usr/sbin/sshd"}) {
		t.Errorf("555: %+v", p)
	}
	if p := ss[1].Processes; len(p) != 2 || p[0].Exe != "/usr/sbin/nginx" || p[1].PID != 201 {
		t.Errorf("777: %+v", p)
	}
	if p := ss[2]; len(p.Processes) != 0 || p.Processes == nil || p.OwnerHidden {
		t.Errorf("999: %+v", p)
	}
	if ss[0].User != "root" {
		t.Errorf("user %q", ss[0].User)
	}
}

// TestOwnersHidden: a process whose fds cannot be read hides its sockets'
// owners.
func TestOwnersHidden(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every fd directory")
	}
	root := fakeProc(t)
	must(t, os.Chmod(filepath.Join(root, "200", "fd"), 0))
	o, _ := scanOwners(root)
	ss := []Socket{{Inode: 888}}
	var users userNames
	o.attach(ss, &users)
	if o.hidden != 1 || !ss[0].OwnerHidden {
		t.Errorf("hidden %d, %+v", o.hidden, ss[0])
	}
}
