package sockets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// owners maps socket inodes to the processes that hold them.
type owners struct {
	byInode map[uint64][]Process
	// hidden counts processes whose open files could not be read.
	hidden int
}

// scanOwners walks proc (a procfs mount) for sockets held open:
// /proc/<pid>/fd/* link to "socket:[<inode>]".
func scanOwners(proc string) (owners, error) {
	o := owners{byInode: map[uint64][]Process{}}
	entries, err := os.ReadDir(proc)
	if err != nil {
		return o, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		o.scanProcess(proc, pid)
	}
	return o, nil
}

func (o *owners) scanProcess(proc string, pid int) {
	dir := filepath.Join(proc, strconv.Itoa(pid))
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if errors.Is(err, fs.ErrPermission) {
		o.hidden++
		return
	}
	if err != nil {
		return // gone meanwhile
	}
	var p *Process
	seen := map[uint64]bool{}
	for _, fd := range fds {
		inode, ok := socketInode(filepath.Join(dir, "fd", fd.Name()))
		if !ok || seen[inode] {
			continue
		}
		seen[inode] = true
		if p == nil {
			p = describe(dir, pid)
		}
		o.byInode[inode] = append(o.byInode[inode], *p)
	}
}

func socketInode(link string) (uint64, bool) {
	target, err := os.Readlink(link)
	if err != nil {
		return 0, false
	}
	num, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		return 0, false
	}
	inode, err := strconv.ParseUint(strings.TrimSuffix(num, "]"), 10, 64)
	return inode, err == nil
}

func describe(dir string, pid int) *Process {
	p := &Process{PID: pid}
	if b, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		p.Name = strings.TrimSpace(string(b))
	}
	if exe, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
		p.Exe = strings.TrimSuffix(exe, " (deleted)")
	}
	return p
}

// attach fills in the owners and users of ss.
func (o owners) attach(ss []Socket, users *userNames) {
	for i := range ss {
		s := &ss[i]
		s.Processes = o.byInode[s.Inode]
		if s.Processes == nil {
			s.Processes = []Process{}
			s.OwnerHidden = o.hidden > 0
		}
		s.User = users.name(s.UID)
	}
}
