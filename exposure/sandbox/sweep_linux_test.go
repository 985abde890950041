package sandbox

import "testing"

func TestParseLabName(t *testing.T) {
	for name, want := range map[string]int{
		"perim-123-0a1b2c3d-t":  123,
		"perim-7-ffffffff-p":    7,
		"perim-123-0a1b2c3d-x":  0,
		"perim-0123-0a1b2c3d-t": 0,
		"perim-123-0A1B2C3D-t":  0,
		"perim-123-0a1b2c-t":    0,
		"perim-abc-0a1b2c3d-t":  0,
		"other-123-0a1b2c3d-t":  0,
		"perim-notalab":         0,
	} {
		pid, ok := parseLabName(name)
		if ok != (want != 0) || pid != want {
			t.Errorf("%s: got %d %v, want %d", name, pid, ok, want)
		}
	}
	if base, err := newBaseName(); err != nil {
		t.Fatal(err)
	} else if _, ok := parseLabName(base + "-t"); !ok {
		t.Errorf("New's name %s does not parse", base)
	}
}
