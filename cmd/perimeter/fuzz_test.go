package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The fuzz targets feed random files through the whole `rules` command,
// in-process, one per way a file comes in. Whatever the file, the command
// must end within fuzzHang with exit 0 (and output) or exit 2 (and one
// printable error line, nothing else), never panic.
//
//	go test -run '^$' -fuzz '^FuzzRulesIPTables$' -fuzztime 10m ./cmd/perimeter
//	go test -run '^$' -fuzz '^FuzzRulesNftJSON$' -fuzztime 10m ./cmd/perimeter
//	go test -run '^$' -fuzz '^FuzzRulesIPSet$' -fuzztime 10m ./cmd/perimeter

const fuzzHang = 5 * time.Second

func FuzzRulesIPTables(f *testing.F) {
	seedFiles(f, "iptables/*.v4", "iptables/*.v6")
	f.Add([]byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzFile(t, "rules.v4", data)
		fuzzRules(t, "rules", "--iptables-save", p, "--output", "json")
	})
}

func FuzzRulesNftJSON(f *testing.F) {
	seedFiles(f, "nft/*.json")
	f.Add([]byte(`{"nftables":[{"table":{"family":"inet","name":"f"}},{"chain":{"family":"inet","table":"f","name":"input","type":"filter","hook":"input","prio":0,"policy":"drop"}},{"rule":{"family":"inet","table":"f","chain":"input","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":22}},{"accept":null}]}}]}`))
	f.Add([]byte(`{"nftables":5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzFile(t, "rules.json", data)
		fuzzRules(t, "rules", "--nft-json", p, "--output", "json")
	})
}

func FuzzRulesIPSet(f *testing.F) {
	seedFiles(f, "iptables/*.ipsets")
	f.Add([]byte("create f2b-nginx hash:ip family inet\nadd f2b-nginx 198.18.0.9\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzFile(t, "sets.ipsets", data)
		fuzzRules(t, "rules", "--iptables-save", testdata+"/iptables/fail2ban.v4", "--ipset", p, "--output", "json")
	})
}

func seedFiles(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		paths, _ := filepath.Glob(filepath.Join(testdata, pattern))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
}

func fuzzFile(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fuzzRules runs the command and checks how it ended.
func fuzzRules(t *testing.T, args ...string) {
	ctx, cancel := context.WithTimeoutCause(context.Background(), fuzzHang, signalError{})
	defer cancel()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run(ctx, args, &out, &errOut)
	if took := time.Since(start); took > fuzzHang || ctx.Err() != nil {
		t.Fatalf("took %v (hang bound %v)", took.Round(time.Millisecond), fuzzHang)
	}
	switch code {
	case exitOK:
		if out.Len() == 0 || errOut.Len() != 0 {
			t.Fatalf("exit 0 with %d bytes of output and stderr %.300q", out.Len(), errOut.String())
		}
	case exitUsage:
		if out.Len() != 0 {
			t.Fatalf("exit 2 with output: %.300q", out.String())
		}
		checkOneLine(t, errOut.String())
	default:
		t.Fatalf("exit %d: %.300q", code, errOut.String())
	}
}
