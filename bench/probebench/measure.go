package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Linux keeps a process's peak RSS across execve, and Go starts children
// with a vfork-style clone: a tool started straight from this (large)
// process would report this process's peak. So the tool is started by a
// fresh, small copy of probebench (measureMode), which reports the tool's
// own peak on its last stderr line.
const (
	measureFlag   = "-measure-child"
	measurePrefix = "probebench-maxrss-kb "
)

// measureMode runs args, passing its output through, and exits with its
// status after printing its peak RSS.
func measureMode(args []string) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			fmt.Fprintf(os.Stderr, "\n%s%d\n", measurePrefix, ru.Maxrss)
		}
	}
	if err != nil {
		os.Exit(1)
	}
}

// measuredArgs wraps a tool's command line in measureMode.
func measuredArgs(args []string) []string {
	self, err := os.Executable()
	if err != nil {
		return args
	}
	return append([]string{self, measureFlag}, args...)
}

// peakRSS finds the report of measureMode in stderr, and returns stderr
// without it.
func peakRSS(stderr []byte) (int64, string) {
	var kb int64
	var rest []string
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), measurePrefix); ok {
			kb, _ = strconv.ParseInt(v, 10, 64)
			continue
		}
		rest = append(rest, sc.Text())
	}
	return kb, strings.TrimSpace(strings.Join(rest, "\n"))
}
