package child

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCancelKillsTheGroup: cancelling the context kills the child and
// what it started, and Wait returns at once.
func TestCancelKillsTheGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := Command(ctx, "sh", "-c", "sleep 30 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	grandchild, _ := strconv.Atoi(strings.TrimSpace(line))
	start := time.Now()
	cancel()
	cmd.Wait()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Wait returned %v after the cancel", took)
	}
	time.Sleep(100 * time.Millisecond)
	if alive(grandchild) {
		t.Errorf("the child's child %d outlived the cancel", grandchild)
	}
}

// alive tells whether pid runs (a zombie waiting for its new parent to
// reap it does not).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}
