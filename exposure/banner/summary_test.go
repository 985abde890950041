package banner

import (
	"slices"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		open    []uint16
		banners []Banner
		want    []string
	}{
		{"nothing", nil, nil, nil},
		{
			"ssh alone says only what its banner says",
			[]uint16{22},
			[]Banner{{Port: 22, Text: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", Product: "OpenSSH", Version: "8.9p1", OS: "Ubuntu"}},
			[]string{
				"tcp/22: OpenSSH 8.9p1 (Ubuntu), version disclosed",
				"OS family: Ubuntu (from the banners on tcp/22)",
			},
		},
		{
			"web host, banners out of order",
			[]uint16{22, 80, 443, 8080},
			[]Banner{
				{Port: 8080, Text: "HTTP/1.1 400 Bad Request", Sent: "\r\n"},
				{Port: 80, Text: "HTTP/1.1 400 Bad Request | Server: nginx/1.18.0 (Ubuntu)", Product: "nginx", Version: "1.18.0", OS: "Ubuntu", Sent: "\r\n"},
				{Port: 443, Sent: "\r\n"},
				{Port: 22, Text: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", Product: "OpenSSH", Version: "8.9p1", OS: "Ubuntu"},
			},
			[]string{
				"tcp/22: OpenSSH 8.9p1 (Ubuntu), version disclosed",
				"tcp/80: nginx 1.18.0 (Ubuntu), version disclosed",
				`tcp/8080: unidentified banner "HTTP/1.1 400 Bad Request"`,
				"OS family: Ubuntu (from the banners on tcp/22, tcp/80)",
				"no banner on tcp/443",
			},
		},
		{
			"families differ",
			[]uint16{22, 3306, 8080},
			[]Banner{
				{Port: 22, Product: "OpenSSH", Version: "9.2p1", OS: "Debian", Text: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2"},
				{Port: 3306, Product: "MariaDB", Version: "11.4.2", OS: "Ubuntu", Text: "MySQL handshake (protocol 10), server version 11.4.2-MariaDB-ubu2404"},
				{Port: 8080, Product: "Caddy", Text: "HTTP/1.1 400 Bad Request | Server: Caddy"},
			},
			[]string{
				"tcp/22: OpenSSH 9.2p1 (Debian), version disclosed",
				"tcp/3306: MariaDB 11.4.2 (Ubuntu), version disclosed",
				"tcp/8080: Caddy",
				"OS families differ between banners: Debian (tcp/22), Ubuntu (tcp/3306); a container or a forwarded port can run another OS than the host",
			},
		},
		{
			"windows set and a failed grab",
			[]uint16{135, 139, 445, 3389},
			[]Banner{
				{Port: 135, Sent: "\r\n"},
				{Port: 139, Sent: "\r\n"},
				{Port: 445, Error: "banner: read: connection reset by peer", Sent: "\r\n"},
				{Port: 3389, Error: "banner: dial: i/o timeout"},
			},
			[]string{
				"open ports 135, 139, 445 are Windows' RPC/NetBIOS/SMB set (a Samba domain controller opens them too)",
				"no banner on tcp/135, tcp/139",
				"tcp/445: no banner (banner: read: connection reset by peer)",
				"tcp/3389: no banner (banner: dial: i/o timeout)",
			},
		},
		{
			"domain controller",
			[]uint16{53, 88, 135, 139, 389, 445, 464, 636},
			nil,
			[]string{
				"open ports 135, 139, 445 are Windows' RPC/NetBIOS/SMB set (a Samba domain controller opens them too)",
				"open ports 88, 389, 445 are the Kerberos/LDAP/SMB set of an Active Directory domain controller (Windows or Samba)",
			},
		},
		{"smb without rpc says nothing", []uint16{139, 445}, nil, nil},
		{
			"escaped text is not escaped twice",
			[]uint16{9999},
			[]Banner{{Port: 9999, Text: `hello\x1b[0m`}},
			[]string{`tcp/9999: unidentified banner "hello\x1b[0m"`},
		},
		{
			"product without a version",
			[]uint16{21, 6379},
			[]Banner{
				{Port: 21, Product: "Microsoft FTP Service", OS: "Windows", Text: "220 Microsoft FTP Service"},
				{Port: 6379, Product: "Redis", Text: "-NOAUTH Authentication required."},
			},
			[]string{
				"tcp/21: Microsoft FTP Service (Windows)",
				"tcp/6379: Redis",
				"OS family: Windows (from the banners on tcp/21)",
			},
		},
	}
	for _, tt := range tests {
		got := Summarize(tt.open, tt.banners)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Summarize =\n\t%s\nwant\n\t%s", tt.name, strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
		}
	}
}
