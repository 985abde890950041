package probe

import (
	"strings"
	"testing"
)

const snmpText = `Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 100
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps
Icmp: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 6 0 3 588 6 0 0 0 0 0 0 0 0 0 0
IcmpMsg: OutType3
IcmpMsg: 6
`

const snmp6Text = `Ip6InReceives                   	12
Icmp6OutDestUnreachs            	15
Icmp6OutRateLimitHost           	285
`

func TestParseSNMP(t *testing.T) {
	m, err := parseSNMP(strings.NewReader(snmpText + snmp6Text))
	if err != nil {
		t.Fatal(err)
	}
	if m["Icmp:OutRateLimitHost"] != 588 || m["Icmp:OutRateLimitGlobal"] != 3 || m["Icmp6OutRateLimitHost"] != 285 || m["Ip:DefaultTTL"] != 64 {
		t.Errorf("parsed %v", m)
	}
	if n, err := sumRateLimited(m); n != 876 || err != nil {
		t.Errorf("sum %d, %v", n, err)
	}
	if _, err := sumRateLimited(map[string]uint64{"Ip:DefaultTTL": 64}); err == nil {
		t.Error("old kernel: no error")
	}
}
