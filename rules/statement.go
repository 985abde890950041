package rules

// StatementKind is a non-terminal action of a rule.
type StatementKind uint8

// Statements. Marks change what later rules see; logs are what an audit
// is about; the rest are recorded and otherwise have no effect on the walk.
const (
	StmtLog         StatementKind = iota + 1
	StmtSetMark                   // mark = (mark &^ Mask) ^ Value
	StmtSetCtMark                 // ctmark = (ctmark &^ Mask) ^ Value
	StmtRestoreMark               // mark = ctmark & Mask
	StmtSaveMark                  // ctmark = mark & Mask
	StmtNotrack                   // conntrack skips the packet: ct state untracked
	StmtCounter
	StmtRecentSet // puts the source on the recent list named by Set
	StmtOther     // recorded, no effect on incoming packets (TRACE, CT helper, SNAT, ...)
)

// Statement is one non-terminal action.
type Statement struct {
	Kind        StatementKind
	Log         *Log   // StmtLog
	Value, Mask uint32 // mark statements
	Set         string // StmtRecentSet: the list
	Text        string
}

// Log is a LOG, NFLOG or nftables log statement.
type Log struct {
	Kind   string `json:"kind"` // "LOG", "NFLOG", "log"
	Prefix string `json:"prefix,omitempty"`
	Level  string `json:"level,omitempty"`
	Group  int    `json:"group,omitempty"` // NFLOG / log group
	// Limit is the rate limit that gates the log, filled in by the
	// evaluator from the rule's limit matches ("3/min burst 10").
	Limit string `json:"limit,omitempty"`
}
