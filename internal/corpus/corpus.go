// Package corpus reads the index of the shared corpus of real-world
// rulesets, ../shared/corpus/SOURCES.tsv beside the checkout. The corpus
// is outside data: tests read the rulesets from there, never a copy.
package corpus

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Loading returns the rows of dir's SOURCES.tsv whose ruleset loads
// (column 8 says OK), each row as its tab-separated columns: the file
// name first, its format fifth.
func Loading(dir string) ([][]string, error) {
	f, err := os.Open(filepath.Join(dir, "SOURCES.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if col := strings.Split(sc.Text(), "\t"); len(col) >= 8 && col[7] == "OK" {
			rows = append(rows, col)
		}
	}
	return rows, sc.Err()
}
