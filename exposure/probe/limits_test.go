package probe

import "testing"

func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		l    limits
		mode Mode
		w    int
		why  string
	}{
		{limits{28232, 20000}, ModeSyn, rawWindow, "mode"},
		{limits{28232, 20000}, ModeConnect, connectWindow, "mode"},
		{limits{1000, 20000}, ModeConnect, 500, "ephemeral ports (1000 free)"},
		{limits{28232, 300}, ModeConnect, 150, "open-file limit (300 free)"},
		{limits{28232, 20}, ModeConnect, minWindow, "open-file limit (20 free)"},
	} {
		if w, why := tc.l.window(tc.mode); w != tc.w || why != tc.why {
			t.Errorf("%+v %s: got %d %q, want %d %q", tc.l, tc.mode, w, why, tc.w, tc.why)
		}
	}
}
