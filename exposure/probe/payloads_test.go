package probe

import (
	"bytes"
	"testing"
)

func TestPayloads(t *testing.T) {
	dns := udpPayload(53)
	if len(dns) != 17 || !bytes.Equal(dns[2:6], []byte{1, 0, 0, 1}) || !bytes.Equal(dns[12:], []byte{0, 0, 2, 0, 1}) {
		t.Errorf("dns % x", dns)
	}
	if ntp := udpPayload(123); len(ntp) != 48 || ntp[0] != 0xe3 {
		t.Errorf("ntp % x", ntp)
	}
	snmp := udpPayload(161)
	if snmp[0] != 0x30 || int(snmp[1]) != len(snmp)-2 || !bytes.Contains(snmp, []byte("public")) {
		t.Errorf("snmp % x", snmp)
	}
	if nb := udpPayload(137); len(nb) != 50 || nb[12] != 32 || nb[13] != 'C' || nb[14] != 'K' {
		t.Errorf("netbios % x", nb)
	}
	if rpc := udpPayload(111); len(rpc) != 40 {
		t.Errorf("rpc % x", rpc)
	}
	if udpPayload(9999) != nil {
		t.Error("unknown port got a payload")
	}
}
