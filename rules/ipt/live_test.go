package ipt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

// fakeLister stands in for *iptables.IPTables: the -S output of each
// table, or an error.
type fakeLister struct {
	tables map[string]string
	errs   map[string]error
	calls  []string
}

func (f *fakeLister) List(table, chain string) ([]string, error) {
	f.calls = append(f.calls, table+" "+chain)
	if err := f.errs[table]; err != nil {
		return nil, err
	}
	if out, ok := f.tables[table]; ok {
		return strings.Split(out, "\n"), nil
	}
	var out []string // what iptables-nft prints for a table it does not have
	for name := range builtins[table] {
		out = append(out, "-P "+name+" ACCEPT")
	}
	return out, nil
}

func TestReadSources(t *testing.T) {
	nft4 := &fakeLister{tables: map[string]string{
		"filter": "-P INPUT DROP\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N web\n-A INPUT -j web\n-A web -p tcp -m tcp --dport 80 -j ACCEPT",
		"mangle": "# Table `mangle' contains incompatible base-chains, use 'nft' tool to list them.\n-P PREROUTING ACCEPT",
	}, errs: map[string]error{
		"raw": errors.New("running [/usr/sbin/iptables-nft -t raw -S -4 --wait]: exit status 1: iptables v1.8.9 (nf_tables): table `raw' is incompatible, use 'nft' tool.\n"),
	}}
	nft6 := &fakeLister{}
	legacy4 := &fakeLister{tables: map[string]string{
		"nat": "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-A PREROUTING -p tcp -m tcp --dport 80 -m set --match-set web src -j REDIRECT --to-ports 8080",
	}}
	setReads := 0
	sets := func() (IPSets, error) {
		setReads++
		return ParseIPSets(strings.NewReader("create web hash:ip\nadd web 198.18.0.1\n"))
	}
	rs, err := readSources(context.Background(), []source{
		{rules.BackendIptablesNft, rules.FamilyIPv4, nft4, tableNames},
		{rules.BackendIptablesLegacy, rules.FamilyIPv4, legacy4, []string{"nat"}},
		{rules.BackendIptablesNft, rules.FamilyIPv6, nft6, tableNames},
	}, sets)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, tb := range rs.Tables {
		tables = append(tables, string(tb.Backend)+" "+string(tb.Family)+" "+tb.Name+" "+tb.Source)
	}
	want := "iptables-nft ipv4 mangle live|iptables-nft ipv4 filter live|iptables-legacy ipv4 nat live"
	if got := strings.Join(tables, "|"); got != want {
		t.Errorf("tables %s\nwant   %s", got, want)
	}
	wantNotes := []string{
		"live iptables-nft ipv4 table raw: " + ErrIncompatible.Error(),
		"live iptables-nft ipv4: base chains of table mangle " + ErrIncompatible.Error(),
		"both iptables backends hold rules, and the kernel runs both: iptables-nft (ipv4 mangle, ipv4 filter) and iptables-legacy (ipv4 nat)",
	}
	if got := strings.Join(rs.Notes, "\n"); got != strings.Join(wantNotes, "\n") {
		t.Errorf("notes:\n%s\nwant\n%s", got, strings.Join(wantNotes, "\n"))
	}
	if got := chainRules(rs, "PREROUTING"); len(got) != 1 || got[0] != "l4proto 6 ; dport 80 ; saddr 198.18.0.1 => redirect{invalid IP-invalid IP:8080-0}" {
		t.Errorf("PREROUTING %q", got)
	}
	if setReads != 1 {
		t.Errorf("ipset read %d times", setReads)
	}
	if nft4.calls[0] != "raw -4" || nft6.calls[0] != "raw -6" || len(nft4.calls) != 5 {
		t.Errorf("calls %q %q", nft4.calls, nft6.calls)
	}
}

func TestReadSourcesErrors(t *testing.T) {
	perm := &fakeLister{errs: map[string]error{"raw": errors.New(
		"running [/usr/sbin/iptables-nft -t raw -S -4 --wait]: exit status 4: iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n")}}
	_, err := readSources(context.Background(), []source{{rules.BackendIptablesNft, rules.FamilyIPv4, perm, tableNames}}, nil)
	if !errors.Is(err, ErrPermission) || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %q, want ErrPermission in one line", err)
	}
	bad := &fakeLister{tables: map[string]string{"filter": "-A INPUT --bogus"}}
	_, err = readSources(context.Background(), []source{{rules.BackendIptablesNft, rules.FamilyIPv4, bad, []string{"filter"}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `parse live:1: unknown option "--bogus": "-A INPUT --bogus"`) {
		t.Errorf("got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := readSources(ctx, []source{{rules.BackendIptablesNft, rules.FamilyIPv4, &fakeLister{}, tableNames}}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	gone := &fakeLister{errs: map[string]error{"nat": errors.New("iptables-legacy: can't initialize iptables table `nat': Table does not exist (do you need to insmod?)")}}
	rs, err := readSources(context.Background(), []source{{rules.BackendIptablesLegacy, rules.FamilyIPv4, gone, []string{"nat"}}}, nil)
	if err != nil || len(rs.Tables) != 0 {
		t.Errorf("vanished table: %v %v", rs, err)
	}
}
