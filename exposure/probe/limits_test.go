package probe

import "testing"

func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		l    limits
		mode Mode
		w    int
		why  string
	}{
		{limits{28232, 20000, -1}, ModeSyn, rawWindow, "mode"},
		{limits{28232, 20000, -1}, ModeConnect, connectWindow, "mode"},
		{limits{1000, 20000, -1}, ModeConnect, 500, "ephemeral ports (1000 free)"},
		{limits{28232, 300, -1}, ModeConnect, 150, "open-file limit (300 free)"},
		{limits{28232, 20000, 10000}, ModeSyn, 5000, "conntrack entries (10000 free)"},
		{limits{28232, 20000, 0}, ModeSyn, minWindow, "conntrack entries (0 free)"},
	} {
		if w, why := tc.l.window(tc.mode); w != tc.w || why != tc.why {
			t.Errorf("%+v %s: got %d %q, want %d %q", tc.l, tc.mode, w, why, tc.w, tc.why)
		}
	}
}
