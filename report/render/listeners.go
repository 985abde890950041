package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/perimeter-dev/perimeter/exposure/sockets"
)

// WriteListenersJSON writes the listing (schema perimeter.listeners/v1).
func WriteListenersJSON(w io.Writer, l *sockets.Listing) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(l)
}

// WriteListenersTable writes one row per socket, then the notes.
func WriteListenersTable(w io.Writer, l *sockets.Listing, style Style) error {
	t := newTable(w, style, column{header: "PROTO"}, column{header: "LOCAL ADDRESS"}, column{header: "SERVES"},
		column{header: "USER", wrap: true}, column{header: "PROCESS", wrap: true}, column{header: "EXECUTABLE", wrap: true})
	for _, s := range l.Sockets {
		t.add(s.Proto, s.Local(), strings.Join(s.Serves, "+"), userCell(s), processCell(s), exeCell(s))
	}
	if err := t.render(); err != nil {
		return err
	}
	writeNotes(w, style, l.Notes)
	return nil
}

func userCell(s sockets.Socket) string {
	if s.User != "" {
		return s.User
	}
	return fmt.Sprint(s.UID)
}

func processCell(s sockets.Socket) string {
	if s.OwnerHidden {
		return "(hidden)"
	}
	var ps []string
	for _, p := range s.Processes {
		ps = append(ps, fmt.Sprintf("%s[%d]", p.Name, p.PID))
	}
	if len(ps) == 0 {
		return "-"
	}
	return strings.Join(ps, ", ")
}

func exeCell(s sockets.Socket) string {
	seen := map[string]bool{}
	var es []string
	for _, p := range s.Processes {
		if p.Exe != "" && !seen[p.Exe] {
			seen[p.Exe] = true
			es = append(es, p.Exe)
		}
	}
	if len(es) == 0 {
		return "-"
	}
	return strings.Join(es, ", ")
}
