package rules

import (
	"slices"
	"testing"
)

func TestNonTerminating(t *testing.T) {
	if !slices.IsSorted(nonTerminating) {
		t.Fatal("nonTerminating is not sorted: NonTerminating searches it")
	}
	tests := []struct {
		name string
		want bool
	}{
		{"LOG", true}, {"NFLOG", true}, {"MARK", true}, {"CONNMARK", true}, {"CT", true},
		{"NOTRACK", true}, {"TEE", true}, {"TRACE", true}, {"SET", true}, {"TCPMSS", true},
		{"AUDIT", true}, {"HMARK", true}, {"ECN", true}, {"TTL", true}, {"HL", true},
		{"SYNPROXY", false}, {"CLUSTERIP", false}, {"DNPT", false}, {"SNPT", false},
		{"ACCEPT", false}, {"DROP", false}, {"REJECT", false}, {"NFQUEUE", false},
		{"DNAT", false}, {"TPROXY", false}, {"log", false}, {"", false}, {"FOO", false},
	}
	for _, tt := range tests {
		if got := NonTerminating(tt.name); got != tt.want {
			t.Errorf("NonTerminating(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
