// Package render writes what report joined for people (tables that fit
// the terminal) and for machines (JSON, SARIF, JUnit). It writes to an
// io.Writer and never exits.
package render
