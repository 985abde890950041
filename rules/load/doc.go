// Package load reads a whole ruleset: every backend of the live host at
// once, or the files a user names. The readers it wires (rules/ipt,
// rules/nft) only translate; load decides which reader owns which table,
// so that no rule counts twice.
package load
