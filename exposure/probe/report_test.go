package probe

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestReportJSONRoundTrip: what WriteJSON streams is valid JSON that
// DecodeReport reads back whole.
func TestReportJSONRoundTrip(t *testing.T) {
	rep := newReport(netip.MustParseAddr("198.18.0.1"))
	rep.Source = netip.MustParseAddr("198.18.0.2")
	rep.Sources = []netip.Addr{rep.Source, netip.MustParseAddr("198.18.0.3")}
	rep.Started = rep.Started.Round(0).UTC()
	rep.Duration = 1500 * time.Millisecond
	rep.Results = []Result{
		{Proto: "tcp", Port: 22, State: Open, Reason: ReasonSynAck, From: rep.Target, TTL: 64, RTT: 41 * time.Microsecond, Tries: 1},
		{Proto: "udp", Port: 53, State: Stealth, Reason: ReasonNoResponse, Doubt: DoubtOpenFiltered, Tries: 2},
		{Proto: "tcp", Port: 81, State: Unknown, Reason: ReasonLocalError, Error: "send: no buffer space", Tries: 0},
	}
	rep.Scans = []Scan{{Proto: "tcp", Mode: ModeSyn, Ports: 2, Counts: countStates(rep.Results), Stats: Stats{Sent: 3, TargetRateLimited: -1}}}
	rep.notef("a note")
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", buf.String())
	}
	got, err := DecodeReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rep) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, rep)
	}
	if _, err := DecodeReport(strings.NewReader(`{"schema":"other/v9"}`)); err == nil {
		t.Error("foreign schema accepted")
	}
}

func TestReportJSONEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := newReport(netip.MustParseAddr("2001:db8::1")).WriteJSON(&buf); err != nil || !json.Valid(buf.Bytes()) {
		t.Errorf("%v:\n%s", err, buf.String())
	}
}

// TestResultJSON: the hand-written encoding of a result is encoding/json's.
func TestResultJSON(t *testing.T) {
	for _, r := range []Result{
		{Proto: "tcp", Port: 22, State: Open, Reason: ReasonSynAck, From: netip.MustParseAddr("2001:db8::1"), TTL: 64, RTT: 41, Tries: 1},
		{Proto: "udp", Port: 53, State: Stealth, Reason: ReasonNoResponse, Doubt: DoubtOpenFiltered, Tries: 2},
		{Proto: "tcp", Port: 81, State: Unknown, Reason: ReasonLocalError, Error: "send: \"no\" <buffer> & \\ \u00e9\n"},
	} {
		want, _ := json.Marshal(r)
		if got := r.appendJSON(nil); string(got) != string(want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}
