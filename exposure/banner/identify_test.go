package banner

import (
	"strings"
	"testing"
)

// mysqlHandshakeBytes is a protocol 10 initial handshake as MySQL and
// MariaDB send it, cut after the capability flags (the parser reads no
// further).
func mysqlHandshakeBytes(version string) []byte {
	p := append([]byte{10}, version...)
	p = append(p, 0, 0x2a, 0, 0, 0)                   // NUL, connection id 42
	p = append(p, "Q9;s#x+V"...)                      // auth-plugin-data part 1
	p = append(p, 0, 0xff, 0xf7, 0xff, 0x02, 0, 0xff) // filler, caps, charset, status
	return mysqlFrame(p)
}

func mysqlErrorBytes(code uint16, msg string) []byte {
	return mysqlFrame(append([]byte{0xff, byte(code), byte(code >> 8)}, msg...))
}

func mysqlFrame(payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 0}, payload...)
}

var identifyTests = []struct {
	name, raw                  string
	product, version, osFamily string
}{
	// SSH
	{"openssh ubuntu", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n", "OpenSSH", "8.9p1", "Ubuntu"},
	{"openssh debian", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n", "OpenSSH", "9.2p1", "Debian"},
	{"openssh debian no word", "SSH-2.0-OpenSSH_9.2p1 2+deb12u2\r\n", "OpenSSH", "9.2p1", "Debian"},
	{"openssh raspbian", "SSH-2.0-OpenSSH_8.4p1 Raspbian-5+deb11u3\r\n", "OpenSSH", "8.4p1", "Raspbian"},
	{"openssh rhel", "SSH-2.0-OpenSSH_8.0\r\n", "OpenSSH", "8.0", ""},
	{"openssh freebsd", "SSH-2.0-OpenSSH_9.6 FreeBSD-20240104\r\n", "OpenSSH", "9.6", "FreeBSD"},
	{"openssh windows", "SSH-2.0-OpenSSH_for_Windows_8.1\r\n", "OpenSSH", "8.1", "Windows"},
	{"dropbear", "SSH-2.0-dropbear_2022.83\r\n", "Dropbear", "2022.83", ""},
	{"dropbear no version", "SSH-2.0-dropbear\r\n", "Dropbear", "", ""},
	{"libssh", "SSH-2.0-libssh_0.9.6\r\n", "libssh", "0.9.6", ""},
	{"cisco", "SSH-1.99-Cisco-1.25\r\n", "Cisco", "1.25", ""},
	{"ssh no software", "SSH-2.0-\r\n", "", "", ""},
	{"ssh junk software", "SSH-2.0-\x1b[2J\r\n", "", "", ""},

	// FTP
	{"vsftpd", "220 (vsFTPd 3.0.3)\r\n", "vsFTPd", "3.0.3", ""},
	{"proftpd debian", "220 ProFTPD 1.3.5e Server (Debian) [::ffff:192.168.1.10]\r\n", "ProFTPD", "1.3.5e", "Debian"},
	{"proftpd default", "220 ProFTPD Server (ProFTPD Default Installation) [10.0.0.2]\r\n", "ProFTPD", "", ""},
	{"proftpd 1.3.8", "220 ProFTPD 1.3.8b Server (ProFTPD) [203.0.113.7]\r\n", "ProFTPD", "1.3.8b", ""},
	{"pure-ftpd", "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n220-You are user number 1 of 50 allowed.\r\n220-Local time is now 10:00. Server port: 21.\r\n220 You will be disconnected after 15 minutes of inactivity.\r\n", "Pure-FTPd", "", ""},
	{"microsoft ftp", "220 Microsoft FTP Service\r\n", "Microsoft FTP Service", "", "Windows"},
	{"filezilla", "220-FileZilla Server 0.9.60 beta\r\n220-written by Tim Kosse (tim.kosse@filezilla-project.org)\r\n220 Please visit https://filezilla-project.org/\r\n", "FileZilla Server", "0.9.60", ""},

	// SMTP
	{"postfix ubuntu", "220 mail.example.com ESMTP Postfix (Ubuntu)\r\n", "Postfix", "", "Ubuntu"},
	{"postfix debian", "220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n", "Postfix", "", "Debian"},
	{"postfix version", "220 mx.example.org ESMTP Postfix (3.7.11)\r\n", "Postfix", "3.7.11", ""},
	{"postfix host named ubuntu", "220 ubuntu ESMTP Postfix\r\n", "Postfix", "", ""},
	{"exim", "220 mx.example.net ESMTP Exim 4.96 Tue, 19 Mar 2024 10:15:02 +0000\r\n", "Exim", "4.96", ""},
	{"exim three part", "220-mx.example.net ESMTP Exim 4.94.2 #2 Tue, 19 Mar 2024 10:15:02 +0000 \r\n220-We do not authorize the use of this system to transport unsolicited,\r\n220 and/or bulk e-mail.\r\n", "Exim", "4.94.2", ""},
	{"sendmail debian", "220 mail.example.com ESMTP Sendmail 8.15.2/8.15.2/Debian-22; Tue, 19 Mar 2024 10:15:02 +0100; (No UCE/UBE) logging access from: localhost(OK)-localhost [127.0.0.1]\r\n", "Sendmail", "8.15.2", "Debian"},
	{"sendmail plain", "220 host.example.com ESMTP Sendmail 8.14.7/8.14.7; Tue, 19 Mar 2024 10:15:02 GMT\r\n", "Sendmail", "8.14.7", ""},
	{"exchange", "220 EXCH01.corp.example.com Microsoft ESMTP MAIL Service ready at Tue, 19 Mar 2024 10:15:02 +0100\r\n", "Microsoft ESMTP", "", "Windows"},
	{"iis smtp", "220 mail.example.com Microsoft ESMTP MAIL Service, Version: 10.0.17763.1 ready at  Tue, 19 Mar 2024 10:15:02 +0100 \r\n", "Microsoft ESMTP", "10.0.17763.1", "Windows"},
	{"unknown smtp", "220 mail.example.com ESMTP\r\n", "", "", ""},

	// POP3 and IMAP
	{"dovecot pop3 ubuntu", "+OK Dovecot (Ubuntu) ready.\r\n", "Dovecot", "", "Ubuntu"},
	{"dovecot pop3", "+OK Dovecot ready.\r\n", "Dovecot", "", ""},
	{"dovecot imap debian", "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n", "Dovecot", "", "Debian"},
	{"cyrus imap debian", "* OK mail.example.com Cyrus IMAP v2.4.17-Debian-2.4.17+caldav~beta9-3 server ready\r\n", "Cyrus IMAP", "2.4.17", "Debian"},
	{"cyrus imap el6", "* OK [CAPABILITY IMAP4 IMAP4rev1 LITERAL+ ID STARTTLS AUTH=PLAIN SASL-IR] imap.example.com Cyrus IMAP4 v2.3.16-Invoca-RPM-2.3.16-13.el6_6 server ready\r\n", "Cyrus IMAP", "2.3.16", "RHEL/CentOS"},
	{"cyrus pop3", "+OK pop.example.com Cyrus POP3 v2.4.17-Debian-2.4.17+caldav~beta9-3 server ready <1234.5678@pop.example.com>\r\n", "Cyrus POP3", "2.4.17", "Debian"},
	{"courier imap", "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION STARTTLS] Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.  See COPYING for distribution information.\r\n", "Courier-IMAP", "", ""},
	{"courier pop3 says nothing", "+OK Hello there.\r\n", "", "", ""},

	// HTTP
	{"nginx ubuntu", "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.18.0 (Ubuntu)\r\nDate: Tue, 19 Mar 2024 10:15:02 GMT\r\nContent-Type: text/html\r\nContent-Length: 166\r\nConnection: close\r\n\r\n<html>", "nginx", "1.18.0", "Ubuntu"},
	{"nginx bare", "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n", "nginx", "", ""},
	{"apache ubuntu", "HTTP/1.1 400 Bad Request\r\nDate: Tue, 19 Mar 2024 10:15:02 GMT\r\nServer: Apache/2.4.41 (Ubuntu)\r\nContent-Length: 301\r\n\r\n", "Apache", "2.4.41", "Ubuntu"},
	{"apache centos", "HTTP/1.1 400 Bad Request\r\nServer: Apache/2.4.6 (CentOS) OpenSSL/1.0.2k-fips PHP/5.4.16\r\n\r\n", "Apache", "2.4.6", "RHEL/CentOS"},
	{"apache red hat", "HTTP/1.1 400 Bad Request\r\nServer: Apache/2.4.37 (Red Hat Enterprise Linux)\r\n\r\n", "Apache", "2.4.37", "RHEL/CentOS"},
	{"apache debian", "HTTP/1.1 400 Bad Request\r\nServer: Apache/2.4.57 (Debian)\r\n\r\n", "Apache", "2.4.57", "Debian"},
	{"apache fedora", "HTTP/1.1 400 Bad Request\r\nServer: Apache/2.4.62 (Fedora Linux) OpenSSL/3.2.2\r\n\r\n", "Apache", "2.4.62", "Fedora"},
	{"apache win64", "HTTP/1.1 400 Bad Request\r\nServer: Apache/2.4.58 (Win64) OpenSSL/3.1.3 PHP/8.2.12\r\n\r\n", "Apache", "2.4.58", "Windows"},
	{"iis", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html; charset=us-ascii\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n", "Microsoft HTTPAPI", "2.0", "Windows"},
	{"iis 10", "HTTP/1.1 400 Bad Request\r\nServer: Microsoft-IIS/10.0\r\n\r\n", "Microsoft IIS", "10.0", "Windows"},
	{"lighttpd", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nServer: lighttpd/1.4.59\r\n\r\n", "lighttpd", "1.4.59", ""},
	{"caddy lower case", "HTTP/1.1 400 Bad Request\r\nserver: Caddy\r\n\r\n", "Caddy", "", ""},
	{"go server", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request", "", "", ""},
	{"server in body only", "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nServer: nginx/1.2.3", "", "", ""},
	{"bare line ends", "HTTP/1.0 400 Bad Request\nServer: lighttpd/1.4.35\n\nServer: nginx", "lighttpd", "1.4.35", ""},

	// MySQL and MariaDB
	{"mysql ubuntu", string(mysqlHandshakeBytes("8.0.36-0ubuntu0.22.04.1")), "MySQL", "8.0.36", "Ubuntu"},
	{"mysql plain", string(mysqlHandshakeBytes("8.0.36")), "MySQL", "8.0.36", ""},
	{"mysql log", string(mysqlHandshakeBytes("5.7.44-log")), "MySQL", "5.7.44", ""},
	{"mariadb debian", string(mysqlHandshakeBytes("5.5.5-10.11.6-MariaDB-0+deb12u1")), "MariaDB", "10.11.6", "Debian"},
	{"mariadb 11 ubuntu", string(mysqlHandshakeBytes("11.4.2-MariaDB-ubu2404")), "MariaDB", "11.4.2", "Ubuntu"},
	{"mariadb repo", string(mysqlHandshakeBytes("5.5.5-10.6.16-MariaDB-1:10.6.16+maria~deb11")), "MariaDB", "10.6.16", "Debian"},
	{"tidb", string(mysqlHandshakeBytes("5.7.25-TiDB-v7.5.0")), "TiDB", "7.5.0", ""},
	{"mariadb refuses host", string(mysqlErrorBytes(1130, "Host '172.17.0.1' is not allowed to connect to this MariaDB server")), "MariaDB", "", ""},
	{"mysql refuses host", string(mysqlErrorBytes(1130, "Host '10.0.0.5' is not allowed to connect to this MySQL server")), "MySQL", "", ""},
	{"mysql too many", string(mysqlErrorBytes(1040, "Too many connections")), "", "", ""},
	{"mysql truncated", string(mysqlHandshakeBytes("8.0.36")[:12]), "", "", ""},

	// Others
	{"vnc", "RFB 003.008\n", "VNC", "", ""},
	{"telnet negotiation", "\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27", "telnet", "", ""},
	{"telnet issue ubuntu", "\xff\xfb\x01\xff\xfb\x03Ubuntu 22.04.3 LTS\r\nubuntu login: ", "telnet", "", "Ubuntu"},
	{"telnet issue centos", "\xff\xfd\x18\xff\xfa\x18\x01\xff\xf0\r\nKernel 3.10.0-1160.el7.x86_64 on an x86_64\r\nhost login: ", "telnet", "", "RHEL/CentOS"},
	{"telnet host name only", "\xff\xfd\x18debian login: ", "telnet", "", ""},
	{"redis noauth", "-NOAUTH Authentication required.\r\n", "Redis", "", ""},
	{"redis unknown command", "-ERR unknown command '', with args beginning with: \r\n", "Redis", "", ""},
	{"redis protected", "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.\r\n", "Redis", "", ""},
	{"pop3 refusal is no redis", "-ERR Too many connections\r\n", "", "", ""},
	{"memcached", "ERROR\r\n", "memcached", "", ""},
	{"memcached twice", "ERROR\r\nERROR\r\n", "memcached", "", ""},
	{"error word", "ERROR: bad input\r\n", "", "", ""},

	// Unknown
	{"empty", "", "", "", ""},
	{"free text", "hello ubuntu\r\n", "", "", ""},
	{"binary", "\x00\x01\x02\x03\xff\xfe", "", "", ""},
}

func TestIdentify(t *testing.T) {
	for _, tt := range identifyTests {
		p, v, os := Identify([]byte(tt.raw))
		if p != tt.product || v != tt.version || os != tt.osFamily {
			t.Errorf("%s: Identify(%.60q) = %q, %q, %q; want %q, %q, %q",
				tt.name, tt.raw, p, v, os, tt.product, tt.version, tt.osFamily)
		}
	}
}

var textTests = []struct {
	name, raw, want string
}{
	{"empty", "", ""},
	{"ssh", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"},
	{"trailing space", "220 ready   \r\n\r\n", "220 ready"},
	{"lines joined", "220-Welcome\r\n220 Ready\r\n", "220-Welcome | 220 Ready"},
	{"control bytes", "220 hi\x1b[31m\x00\tend\r\n", `220 hi\x1b[31m\x00\x09end`},
	{"utf-8 escaped", "220 caf\xc3\xa9\r\n", `220 caf\xc3\xa9`},
	{"http keeps status and server",
		"HTTP/1.1 400 Bad Request\r\nDate: Tue, 19 Mar 2024 10:15:02 GMT\r\nServer: nginx/1.18.0 (Ubuntu)\r\nContent-Type: text/html\r\n\r\n<html>",
		"HTTP/1.1 400 Bad Request | Server: nginx/1.18.0 (Ubuntu)"},
	{"http no server", "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n400 Bad Request", "HTTP/1.1 400 Bad Request"},
	{"mysql handshake", string(mysqlHandshakeBytes("8.0.36-0ubuntu0.22.04.1")),
		"MySQL handshake (protocol 10), server version 8.0.36-0ubuntu0.22.04.1"},
	{"mysql error", string(mysqlErrorBytes(1130, "Host '172.17.0.1' is not allowed to connect to this MariaDB server")),
		"MySQL error 1130: Host '172.17.0.1' is not allowed to connect to this MariaDB server"},
	{"telnet", "\xff\xfb\x01\xff\xfb\x03Ubuntu 22.04.3 LTS\r\nubuntu login: ", "(telnet negotiation) | Ubuntu 22.04.3 LTS | ubuntu login:"},
	{"telnet bare", "\xff\xfd\x18\xff\xfd\x20", "(telnet negotiation)"},
	{"telnet escaped 0xff", "\xff\xfb\x01a\xff\xffb\xff\xf1c\xff", `(telnet negotiation) | a\xffbc\xff`},
	{"telnet subnegotiation", "\xff\xfd\x18\xff\xfa\x18\x01\xff\xf0login:", "(telnet negotiation) | login:"},
	{"vnc", "RFB 003.008\n", "RFB 003.008"},
	{"long", strings.Repeat("a", 1000), strings.Repeat("a", 197) + "..."},
	{"just fits", strings.Repeat("a", 200), strings.Repeat("a", 200)},
	{"escapes are not split", strings.Repeat("\x00", 100), strings.Repeat(`\x00`, 49) + "..."},
	{"cut at a line break", strings.Repeat("a", 196) + "\r\nbbbbbb", strings.Repeat("a", 196) + "..."},
}

func TestText(t *testing.T) {
	for _, tt := range textTests {
		if got := Text([]byte(tt.raw)); got != tt.want {
			t.Errorf("%s: Text(%.40q) = %q, want %q", tt.name, tt.raw, got, tt.want)
		}
	}
}

var osNames = map[string]bool{
	"": true, "Ubuntu": true, "Debian": true, "Raspbian": true, "RHEL/CentOS": true,
	"Fedora": true, "Alpine": true, "FreeBSD": true, "Windows": true,
}

// FuzzIdentify checks what Identify and Text promise for any input: no
// panic; a product and version that are short plain words, a version only
// with a product, an OS from the list; a Text of at most 200 printable
// ASCII characters without trailing whitespace.
func FuzzIdentify(f *testing.F) {
	for _, tt := range identifyTests {
		f.Add([]byte(tt.raw))
	}
	for _, tt := range textTests {
		f.Add([]byte(tt.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > maxRead {
			raw = raw[:maxRead] // a grab never reads more
		}
		p, v, os := Identify(raw)
		checkIdentity(t, raw, p, v, os)
		checkText(t, raw, Text(raw))
	})
}

func checkIdentity(t *testing.T, raw []byte, p, v, os string) {
	t.Helper()
	for _, w := range strings.Fields(p) {
		if !productWord.MatchString(w) || strings.Join(strings.Fields(p), " ") != p {
			t.Errorf("Identify(%q): product %q is no plain words", raw, p)
		}
	}
	if v != "" && (p == "" || !versionWord.MatchString(v)) {
		t.Errorf("Identify(%q): version %q (product %q)", raw, v, p)
	}
	if !osNames[os] {
		t.Errorf("Identify(%q): OS %q is no known family", raw, os)
	}
	if !isPrintable([]byte(p + v)) {
		t.Errorf("Identify(%q) = %q, %q: not printable", raw, p, v)
	}
}

func checkText(t *testing.T, raw []byte, s string) {
	t.Helper()
	if len(s) > maxText || !isPrintable([]byte(s)) || strings.TrimRight(s, " ") != s {
		t.Errorf("Text(%q) = %q: longer than %d, unprintable or trailing space", raw, s, maxText)
	}
}
