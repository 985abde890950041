package banner

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// Identify names the product, the version and the OS family that raw, the
// first bytes a service sent, states. What raw does not state is left
// empty: an audit that names the wrong product misleads more than one that
// names none. The OS family is one of Ubuntu, Debian, Raspbian,
// RHEL/CentOS, Fedora, Alpine, FreeBSD and Windows.
func Identify(raw []byte) (product, version, os string) {
	for _, parse := range parsers {
		if id, ok := parse(raw); ok {
			return id.product, id.version, id.os
		}
	}
	return "", "", ""
}

type identity struct{ product, version, os string }

// parsers each recognise one protocol by its first bytes and report true
// for it even when the banner names no product, so that no later, looser
// parser reads a protocol it does not know.
var parsers = []func([]byte) (identity, bool){
	identifySSH, identifyHTTP, identifyMySQL, identifyTelnet,
	identifyVNC, identifyGreeting, identifyRedis, identifyMemcached,
}

// Words a banner may use for its product and version. They are checked
// because both come from the service and end up on the auditor's terminal.
var (
	productWord = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._+-]{0,39}$`)
	versionWord = regexp.MustCompile(`^[0-9][A-Za-z0-9._+~:-]{0,39}$`)
)

// named is the identity of a product this package knows, with the
// version as the banner spells it, if it is a plain token.
func named(product, version, os string) identity {
	version = strings.TrimRight(version, ".")
	if !versionWord.MatchString(version) {
		version = ""
	}
	return identity{product, version, os}
}

// unknownNamed is the identity of a product this package does not know,
// named as the banner spells it, if that is a plain token: it is what the
// service states, so no guess, but it is shown to the auditor.
func unknownNamed(product, version, os string) identity {
	if !productWord.MatchString(product) {
		return identity{os: os}
	}
	return named(product, version, os)
}

// osFamilies are tried in order: the first match wins, so that Raspbian's
// "+deb11u3" and Ubuntu's packages built from Debian's do not read as Debian.
var osFamilies = []struct {
	name string
	re   *regexp.Regexp
}{
	{"Windows", regexp.MustCompile(`(?i)windows|\bwin(?:32|64)\b`)},
	{"Raspbian", regexp.MustCompile(`(?i)raspbian`)},
	{"Ubuntu", regexp.MustCompile(`(?i)ubuntu|[-~]ubu\d{4}\b`)},
	{"Debian", regexp.MustCompile(`(?i)debian|[-+~](?:deb|bpo)\d+`)},
	{"RHEL/CentOS", regexp.MustCompile(`(?i)\b(?:centos|rhel|red ?hat)\b|\.el\d{1,2}(?:_\d+)?\b`)},
	{"Fedora", regexp.MustCompile(`(?i)fedora|\.fc\d{2}\b`)},
	{"Alpine", regexp.MustCompile(`(?i)\balpine\b`)},
	{"FreeBSD", regexp.MustCompile(`(?i)freebsd`)},
}

// osFamily is the OS family s names. Callers pass only the part of a
// banner that speaks of the software (never a host name: a mail server
// called "ubuntu" says nothing about its OS).
func osFamily(s string) string {
	for _, f := range osFamilies {
		if f.re.MatchString(s) {
			return f.name
		}
	}
	return ""
}

// firstLine is raw up to its first line end.
func firstLine(raw []byte) string {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	return strings.TrimRight(string(line), "\r")
}

// identifySSH reads the identification string of RFC 4253, 4.2:
// "SSH-protoversion-softwareversion SP comments".
func identifySSH(raw []byte) (identity, bool) {
	line, ok := strings.CutPrefix(firstLine(raw), "SSH-")
	if !ok {
		return identity{}, false
	}
	_, rest, _ := strings.Cut(line, "-")
	software, _, _ := strings.Cut(rest, " ")
	return sshSoftware(software, osFamily(rest)), true
}

// sshProducts spells the common SSH servers as their projects do.
var sshProducts = map[string]string{"openssh": "OpenSSH", "dropbear": "Dropbear", "libssh": "libssh"}

func sshSoftware(software, os string) identity {
	if v, ok := strings.CutPrefix(software, "OpenSSH_for_Windows_"); ok {
		return named("OpenSSH", v, "Windows")
	}
	name, version := splitNameVersion(software)
	if canonical, ok := sshProducts[strings.ToLower(name)]; ok {
		return named(canonical, version, os)
	}
	return unknownNamed(name, version, os)
}

// splitNameVersion splits "name_1.2" or "name-1.2" at the first '_' or '-'
// that a digit follows.
func splitNameVersion(s string) (name, version string) {
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == '_' || s[i] == '-') && isDigit(s[i+1]) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// identifyHTTP reads an HTTP response's Server header.
func identifyHTTP(raw []byte) (identity, bool) {
	if !bytes.HasPrefix(raw, []byte("HTTP/")) {
		return identity{}, false
	}
	_, server := httpServerHeader(raw)
	return httpServer(server), true
}

// httpServerHeader finds the Server header among the response's headers,
// which end at the first empty line: the whole line and its value.
func httpServerHeader(raw []byte) (line, value string) {
	for _, l := range strings.Split(string(raw), "\n")[1:] {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			break
		}
		if len(l) > 7 && strings.EqualFold(l[:7], "server:") {
			return l, strings.TrimSpace(l[7:])
		}
	}
	return "", ""
}

// httpProducts spells the common web servers as their projects do; the
// Microsoft ones run on Windows only.
var httpProducts = map[string]identity{
	"apache":            {product: "Apache"},
	"nginx":             {product: "nginx"},
	"lighttpd":          {product: "lighttpd"},
	"caddy":             {product: "Caddy"},
	"openresty":         {product: "OpenResty"},
	"microsoft-iis":     {product: "Microsoft IIS", os: "Windows"},
	"microsoft-httpapi": {product: "Microsoft HTTPAPI", os: "Windows"},
}

// httpServer reads a Server value, "product/version (comment) more/1.0":
// the first product names the server, the rest may name its OS.
func httpServer(value string) identity {
	first, _, _ := strings.Cut(value, " ")
	name, version, _ := strings.Cut(first, "/")
	known, ok := httpProducts[strings.ToLower(name)]
	if !ok {
		return unknownNamed(name, version, osFamily(value))
	}
	if known.os == "" {
		known.os = osFamily(value)
	}
	return named(known.product, version, known.os)
}

// mysqlPacket is the payload of the first MySQL protocol packet in raw: a
// 3-byte little-endian length and a sequence number 0, then the payload,
// which must have arrived whole.
func mysqlPacket(raw []byte) ([]byte, bool) {
	if len(raw) < 5 || raw[3] != 0 {
		return nil, false
	}
	n := int(raw[0]) | int(raw[1])<<8 | int(raw[2])<<16
	if n < 2 || n > len(raw)-4 {
		return nil, false
	}
	return raw[4 : 4+n], true
}

// mysqlHandshake is the server version of an initial handshake packet
// (protocol 10): a NUL-terminated string right after the protocol byte.
func mysqlHandshake(raw []byte) (string, bool) {
	p, ok := mysqlPacket(raw)
	if !ok || p[0] != 10 {
		return "", false
	}
	v, _, found := bytes.Cut(p[1:], []byte{0})
	if !found || len(v) == 0 || len(v) > 80 || !isDigit(v[0]) || !isPrintable(v) {
		return "", false
	}
	return string(v), true
}

// mysqlError is the code and message of an error packet, which a server
// sends instead of the handshake to a host it refuses.
func mysqlError(raw []byte) (code int, msg string, ok bool) {
	p, ok := mysqlPacket(raw)
	if !ok || p[0] != 0xff || len(p) < 4 || !isPrintable(p[3:]) {
		return 0, "", false
	}
	return int(p[1]) | int(p[2])<<8, string(p[3:]), true
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// MariaDB puts its own version after a "5.5.5-" that old clients need;
// TiDB after its MySQL one.
var (
	mariadbVersion = regexp.MustCompile(`(?:^|-)([0-9]+\.[0-9]+\.[0-9]+)-MariaDB`)
	tidbVersion    = regexp.MustCompile(`-TiDB-v?([0-9][0-9.]*)`)
	leadingVersion = regexp.MustCompile(`^[0-9]+(?:\.[0-9]+)*`)
)

func identifyMySQL(raw []byte) (identity, bool) {
	if v, ok := mysqlHandshake(raw); ok {
		return mysqlServer(v), true
	}
	if _, msg, ok := mysqlError(raw); ok {
		return mysqlRefusal(msg), true
	}
	return identity{}, false
}

func mysqlServer(v string) identity {
	if m := mariadbVersion.FindStringSubmatch(v); m != nil {
		return named("MariaDB", m[1], osFamily(v))
	}
	if m := tidbVersion.FindStringSubmatch(v); m != nil {
		return named("TiDB", m[1], "")
	}
	return named("MySQL", leadingVersion.FindString(v), osFamily(v))
}

// mysqlRefusal names the server only where the refusal does ("... is not
// allowed to connect to this MariaDB server").
func mysqlRefusal(msg string) identity {
	switch {
	case strings.Contains(msg, "MariaDB server"):
		return identity{product: "MariaDB"}
	case strings.Contains(msg, "MySQL server"):
		return identity{product: "MySQL"}
	}
	return identity{}
}

// Telnet commands (RFC 854).
const (
	iac  = 0xff
	sb   = 0xfa
	se   = 0xf0
	will = 0xfb
	dont = 0xfe
)

// isTelnet: a telnet server opens with option negotiation, IAC WILL, WONT,
// DO or DONT.
func isTelnet(raw []byte) bool {
	return len(raw) >= 3 && raw[0] == iac && raw[1] >= will && raw[1] <= dont
}

// identifyTelnet: the text after the negotiation is often /etc/issue.net,
// which states the OS ("Ubuntu 22.04.3 LTS"); the login prompt holds the
// host name, which does not.
func identifyTelnet(raw []byte) (identity, bool) {
	if !isTelnet(raw) {
		return identity{}, false
	}
	var issue []string
	for _, l := range strings.Split(string(stripTelnet(raw)), "\n") {
		if !strings.Contains(l, "login:") {
			issue = append(issue, l)
		}
	}
	return identity{product: "telnet", os: osFamily(strings.Join(issue, "\n"))}, true
}

// stripTelnet drops the telnet commands from raw and keeps the text.
func stripTelnet(raw []byte) []byte {
	var text []byte
	for i := 0; i < len(raw); {
		n := telnetCommandLen(raw[i:])
		if n == 0 {
			text = append(text, raw[i])
			n = 1
		}
		if n == 2 && raw[i+1] == iac {
			text = append(text, iac) // IAC IAC is a data byte 0xff
		}
		i += n
	}
	return text
}

// telnetCommandLen is the length of the command that starts raw, bounded
// by len(raw), or 0 if raw starts with data.
func telnetCommandLen(raw []byte) int {
	if len(raw) < 2 || raw[0] != iac {
		return 0
	}
	switch c := raw[1]; {
	case c >= will && c <= dont:
		return min(3, len(raw))
	case c == sb:
		if end := bytes.Index(raw, []byte{iac, se}); end >= 0 {
			return end + 2
		}
		return len(raw)
	}
	return 2
}

var rfbVersion = regexp.MustCompile(`^RFB [0-9]{3}\.[0-9]{3}\n`)

// identifyVNC: the RFB greeting states the protocol version, not the
// server's; Text shows it.
func identifyVNC(raw []byte) (identity, bool) {
	if !rfbVersion.Match(raw) {
		return identity{}, false
	}
	return identity{product: "VNC"}, true
}

// greetingRule finds a product in an FTP or SMTP "220" greeting or a POP3
// or IMAP "OK" one. Group v is the version; group os is the part that may
// state the OS (os, when set, is what the product alone implies).
type greetingRule struct {
	re      *regexp.Regexp
	product string
	os      string
}

var greetingRules = []greetingRule{
	{regexp.MustCompile(`\(vsFTPd (?P<v>[0-9][\w.]*)\)`), "vsFTPd", ""},
	{regexp.MustCompile(`ProFTPD(?: (?P<v>[0-9][\w.]*))? Server(?: \((?P<os>[^)]*)\))?`), "ProFTPD", ""},
	{regexp.MustCompile(`Pure-FTPd`), "Pure-FTPd", ""},
	{regexp.MustCompile(`Microsoft FTP Service`), "Microsoft FTP Service", "Windows"},
	{regexp.MustCompile(`FileZilla Server(?: version)? (?P<v>[0-9][\w.]*)`), "FileZilla Server", ""},
	{regexp.MustCompile(`ESMTP Postfix(?: \((?:(?P<v>[0-9][\w.]*)|(?P<os>[^)]*))\))?`), "Postfix", ""},
	{regexp.MustCompile(`Exim (?P<v>[0-9]+\.[0-9]+(?:\.[0-9]+)?)`), "Exim", ""},
	{regexp.MustCompile(`Sendmail (?P<v>[0-9]+\.[0-9]+\.[0-9]+)(?P<os>/[^\s;]*)?`), "Sendmail", ""},
	{regexp.MustCompile(`Microsoft ESMTP MAIL Service(?:, Version: (?P<v>[0-9][0-9.]*))?`), "Microsoft ESMTP", "Windows"},
	{regexp.MustCompile(`ESMTP OpenSMTPD`), "OpenSMTPD", ""},
	{regexp.MustCompile(`Dovecot(?: \((?P<os>[^)]*)\))? ready`), "Dovecot", ""},
	{regexp.MustCompile(`Cyrus IMAP4? (?:Murder )?v?(?P<v>[0-9]+(?:\.[0-9]+)+)(?P<os>\S*)`), "Cyrus IMAP", ""},
	{regexp.MustCompile(`Cyrus POP3 v?(?P<v>[0-9]+(?:\.[0-9]+)+)(?P<os>\S*)`), "Cyrus POP3", ""},
	{regexp.MustCompile(`Courier-IMAP ready`), "Courier-IMAP", ""},
}

var greetingStart = regexp.MustCompile(`^(?:220[ -]|\+OK|\* OK)`)

func identifyGreeting(raw []byte) (identity, bool) {
	if !greetingStart.Match(raw) {
		return identity{}, false
	}
	for _, r := range greetingRules {
		if m := r.re.FindSubmatch(raw); m != nil {
			return r.identity(m), true
		}
	}
	return identity{}, true
}

func (r greetingRule) identity(m [][]byte) identity {
	group := func(name string) string {
		if i := r.re.SubexpIndex(name); i > 0 {
			return string(m[i])
		}
		return ""
	}
	os := r.os
	if os == "" {
		os = osFamily(group("os"))
	}
	return named(r.product, group("v"), os)
}

// redisReply matches the errors Redis sends unasked (protected mode, too
// many clients) or to a bare line. A lone "-ERR" is not enough: a POP3
// server refusing a client says "-ERR" too.
var redisReply = regexp.MustCompile(`^-(?:(?:NOAUTH|DENIED|WRONGPASS|MISCONF|LOADING) |ERR (?:unknown command|wrong number of arguments|Protocol error|max number of clients reached|operation not permitted))`)

func identifyRedis(raw []byte) (identity, bool) {
	if !redisReply.Match(raw) {
		return identity{}, false
	}
	return identity{product: "Redis"}, true
}

// memcachedReply is memcached's answer to an empty command line.
var memcachedReply = regexp.MustCompile(`^(?:ERROR\r\n)+$`)

func identifyMemcached(raw []byte) (identity, bool) {
	if !memcachedReply.Match(raw) {
		return identity{}, false
	}
	return identity{product: "memcached"}, true
}

// Text is raw made one safe, short line for a terminal: its lines joined
// by " | ", every byte outside printable ASCII written \xNN, trailing
// whitespace trimmed, at most 200 characters ("..." ends a cut one). Of an
// HTTP response only the status line and the Server header are kept; a
// MySQL packet and telnet negotiation are rendered readable.
func Text(raw []byte) string {
	var t text
	for _, l := range textLines(raw) {
		t.addLine(l)
	}
	return t.String()
}

func textLines(raw []byte) [][]byte {
	switch {
	case isTelnet(raw):
		return append([][]byte{[]byte("(telnet negotiation)")}, splitLines(stripTelnet(raw))...)
	case bytes.HasPrefix(raw, []byte("HTTP/")):
		status, _, _ := bytes.Cut(raw, []byte("\n"))
		server, _ := httpServerHeader(raw)
		return [][]byte{status, []byte(server)}
	}
	if s, ok := mysqlText(raw); ok {
		return [][]byte{[]byte(s)}
	}
	return splitLines(raw)
}

func splitLines(raw []byte) [][]byte { return bytes.Split(raw, []byte("\n")) }

func mysqlText(raw []byte) (string, bool) {
	if v, ok := mysqlHandshake(raw); ok {
		return "MySQL handshake (protocol 10), server version " + v, true
	}
	if code, msg, ok := mysqlError(raw); ok {
		return "MySQL error " + strconv.Itoa(code) + ": " + msg, true
	}
	return "", false
}

// maxText bounds Text, like the quoted input in perimeter's messages.
const maxText = 200

// text builds Text. It remembers where the last piece that leaves room
// for "..." ended, so that a cut never splits an escape.
type text struct {
	b   []byte
	fit int
}

func (t *text) addLine(line []byte) {
	line = bytes.TrimRight(line, " \t\r\n\v\f")
	if len(line) == 0 {
		return
	}
	if len(t.b) > 0 {
		t.add(" | ")
	}
	for _, c := range line {
		t.add(escape(c))
	}
}

func (t *text) add(piece string) {
	if len(t.b) > maxText {
		return // already too long: the rest is cut anyway
	}
	t.b = append(t.b, piece...)
	if len(t.b) <= maxText-len("...") {
		t.fit = len(t.b)
	}
}

func (t *text) String() string {
	if len(t.b) <= maxText {
		return string(t.b)
	}
	kept := strings.TrimSuffix(strings.TrimRight(string(t.b[:t.fit]), " "), " |")
	return strings.TrimRight(kept, " ") + "..."
}

func escape(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return string(rune(c))
	}
	const hex = "0123456789abcdef"
	return `\x` + string(hex[c>>4]) + string(hex[c&15])
}
