package probe

import "encoding/binary"

// udpPayload is what a probe to port carries: a small valid request for
// common services, so that a listening service answers, else nothing (an
// empty datagram, which any listener receives).
func udpPayload(port uint16) []byte {
	switch port {
	case 53:
		return dnsQuery(0x7065, []string{}, 2) // . NS
	case 5353:
		return dnsQuery(0x0000, []string{"_services", "_dns-sd", "_udp", "local"}, 12)
	case 123:
		return ntpRequest()
	case 161:
		return snmpGet()
	case 137:
		return netbiosStatus()
	case 111:
		return rpcNull()
	case 1900:
		return []byte("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n")
	case 11211:
		return append([]byte{0, 1, 0, 0, 0, 1, 0, 0}, "version\r\n"...) // memcached UDP frame
	}
	return nil
}

// dnsQuery asks one question (class IN) with recursion desired.
func dnsQuery(id uint16, labels []string, qtype uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0)
	for _, l := range labels {
		b = append(append(b, byte(len(l))), l...)
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, qtype)
	return binary.BigEndian.AppendUint16(b, 1)
}

// ntpRequest is an NTPv4 client request (LI 3, VN 4, mode 3).
func ntpRequest() []byte {
	b := make([]byte, 48)
	b[0] = 0xe3
	return b
}

// snmpGet is an SNMPv2c get-request for sysDescr.0 with community public.
func snmpGet() []byte {
	oid := tlv(0x06, 0x2b, 6, 1, 2, 1, 1, 1, 0)
	varbind := tlv(0x30, append(oid, 0x05, 0x00)...)
	pdu := tlv(0xa0, concat(tlv(0x02, 0x70, 0x65, 0x72, 0x69), tlv(0x02, 0), tlv(0x02, 0), tlv(0x30, varbind...))...)
	return tlv(0x30, concat(tlv(0x02, 1), tlv(0x04, []byte("public")...), pdu)...)
}

func tlv(tag byte, content ...byte) []byte {
	return append([]byte{tag, byte(len(content))}, content...)
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// netbiosStatus is a NetBIOS node status request for "*".
func netbiosStatus() []byte {
	b := []byte{0x70, 0x65, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 32}
	name := append([]byte{'C', 'K'}, make([]byte, 30)...) // "*" and 15 NULs, half-ASCII encoded
	for i := 2; i < len(name); i++ {
		name[i] = 'A'
	}
	b = append(b, name...)
	return append(b, 0, 0, 0x21, 0, 1)
}

// rpcNull is an ONC RPC call of the portmapper's NULL procedure.
func rpcNull() []byte {
	var b []byte
	for _, w := range []uint32{0x70657269, 0, 2, 100000, 2, 0, 0, 0, 0, 0} {
		b = binary.BigEndian.AppendUint32(b, w)
	}
	return b
}
