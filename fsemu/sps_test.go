package fsemu

import (
	"strings"
	"testing"
	"time"
)

// statusLine returns the line of "status" that starts with the figure
// after prefix, e.g. the sessions-per-second line.
func statusLine(t *testing.T, s *Server, contains string) string {
	t.Helper()
	for _, l := range strings.Split(apiText(s, "status"), "\n") {
		if strings.Contains(l, contains) {
			return l
		}
	}
	t.Fatalf("no %q line in status %q", contains, apiText(s, "status"))
	return ""
}

// TestFsctlLimitsAndPeak: "fsctl sps" and "fsctl max_sessions" without a
// value read the limits in FreeSWITCH 1.10.12's words (mod_commands.c,
// ctl_function; the replies captured from a real server), each server
// keeps its own, and a raised sps limit shows in "status" as a phantom
// peak: the timer thread counts a second as sps_total - sps
// (switch_time.c), so raising 1000 to 10000 after 2 sessions makes a
// peak of 9002 that lowering it back does not clear (that second counts
// -9000) and only sps_peak_reset does; the five-minute peak forgets it
// after 300 s.
func TestFsctlLimitsAndPeak(t *testing.T) {
	clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	c := RunClusterT(t, 2, Config{Clock: clock, HeartbeatInterval: -1, SessionsPerSecond: 1000, MaxSessions: 4000,
		Inbound: Inbound{Action: "answer"}})
	s, other := c.Server(0), c.Server(1)
	for _, tc := range []struct{ cmd, want string }{
		{"fsctl sps", "+OK sessions per second: 1000\n"},
		{"fsctl max_sessions", "+OK max sessions: 4000\n"},
		{"fsctl last_sps", "+OK last sessions per second: 0\n"},
	} {
		if got := apiText(s, tc.cmd); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	r, _ := resultAt(t, clock, startOriginate(s, "sofia/external/1000@"+s.SIPAddr()+" &park()"), 500*time.Millisecond)
	if !strings.HasPrefix(r, "+OK") {
		t.Fatalf("originate: %q", r)
	}
	if n := s.SessionsSinceStartup(); n != 2 {
		t.Fatalf("%d sessions, want the call's 2 legs", n)
	}
	for cmd, want := range map[string]string{
		"fsctl sps 10000":          "+OK sessions per second: 10000\n",
		"fsctl max_sessions 10000": "+OK max sessions: 10000\n",
	} {
		if got := apiText(s, cmd); got != want {
			t.Errorf("%s: %q, want %q", cmd, got, want)
		}
	}
	clock.Advance(time.Second) // the second of the raise ends
	steps := []struct {
		name, cmd string
		after     time.Duration
		want      []string
	}{
		{"raised", "", 0, []string{"9002 session(s) per Sec out of max 10000, peak 9002, last 5min 9002 ", "10000 session(s) max"}},
		{"lowered back", "fsctl sps 1000", time.Second, []string{"-9000 session(s) per Sec out of max 1000, peak 9002, last 5min 9002 "}},
		{"a quiet second", "fsctl max_sessions 4000", time.Second, []string{"0 session(s) per Sec out of max 1000, peak 9002, last 5min 9002 ", "4000 session(s) max"}},
		{"five minutes on", "", 300 * time.Second, []string{"0 session(s) per Sec out of max 1000, peak 9002, last 5min 0 "}},
		{"peak reset", "fsctl sps_peak_reset", 0, []string{"0 session(s) per Sec out of max 1000, peak 0, last 5min 0 "}},
	}
	for _, st := range steps {
		if st.cmd != "" {
			apiText(s, st.cmd)
		}
		clock.Advance(st.after)
		for _, want := range st.want {
			key := "session(s) per Sec"
			if strings.HasSuffix(want, "max") {
				key = "session(s) max"
			}
			if got := statusLine(t, s, key); got != want {
				t.Errorf("%s: status %q, want %q", st.name, got, want)
			}
		}
	}
	// The other server kept its own limits and saw no raise.
	if got := statusLine(t, other, "session(s) per Sec"); !strings.HasSuffix(got, "out of max 1000, peak 0, last 5min 0 ") {
		t.Errorf("other server: %q", got)
	}
	if got := apiText(other, "fsctl max_sessions"); got != "+OK max sessions: 4000\n" {
		t.Errorf("other server: %q", got)
	}
}
