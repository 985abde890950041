// Package report turns what perimeter learned into output for people
// (tables) and for machines (JSON). It knows rules and exposure; they know
// nothing of it. It writes to an io.Writer and never exits.
package report
