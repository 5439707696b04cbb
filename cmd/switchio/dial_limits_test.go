package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchio/switchio/fsemu"
)

// limitsOpts are dial's defaults for a run that --setup prepares.
func limitsOpts(rate float64, limit int, maxOffered uint64, hold time.Duration) dialOpts {
	return dialOpts{password: "ClueCon", profile: "external", dest: "switchio", rate: rate, limit: limit,
		maxOffered: maxOffered, duration: hold, timeout: time.Minute, cidName: "switchio", setup: true,
		statusInterval: time.Second, serverTimeout: 10 * time.Second, setupTimeout: 10 * time.Second,
		arrivals: "fixed", durationDist: "fixed", drain: 5 * time.Second}
}

// TestDialPutsLimitsBack: --setup raises a server's fsctl sps and
// max_sessions only where the run needs more (a run within them changes
// nothing) and puts them back when the run ends, however it ends: the
// last call, Ctrl-C, SIGTERM, a second Ctrl-C. The summary says what was
// changed and restored and the phantom sps peak the raise left in the
// server's status, which the server does show.
func TestDialPutsLimitsBack(t *testing.T) {
	const sps, sessions = 40, 250
	for _, tc := range []struct {
		name       string
		rate       float64
		limit      int
		maxOffered uint64
		hold       time.Duration
		signals    []os.Signal
		code       int
		raised     bool
	}{
		{"within the limits", 5, 50, 5, 200 * time.Millisecond, nil, 0, false},
		{"run to its end", 20, 100, 20, 200 * time.Millisecond, nil, 0, true},
		{"ctrl-c", 20, 100, 0, time.Minute, []os.Signal{os.Interrupt}, exitInterrupted, true},
		{"sigterm", 20, 100, 0, time.Minute, []os.Signal{syscall.SIGTERM}, exitTerminated, true},
		{"second ctrl-c", 20, 100, 0, time.Minute, []os.Signal{os.Interrupt, os.Interrupt}, exitInterrupted, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fsemu.RunT(t, fsemu.Config{SessionsPerSecond: sps, MaxSessions: sessions})
			sig := make(chan os.Signal, 2)
			var stdout, stderr outBuffer
			type result struct {
				code int
				err  error
			}
			done := make(chan result, 1)
			go func() {
				code, err := runDial(context.Background(), limitsOpts(tc.rate, tc.limit, tc.maxOffered, tc.hold),
					[]string{srv.Addr()}, &stdout, &stderr, sig)
				done <- result{code, err}
			}()
			if len(tc.signals) > 0 {
				deadline := time.Now().Add(20 * time.Second)
				for srv.ChannelCount() < 6 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				// While the run goes, the limits are the raised ones.
				if got, err := srv.API(context.Background(), "fsctl sps"); err != nil || got != "+OK sessions per second: 80\n" {
					t.Errorf("during the run: %q, %v", got, err)
				}
				for _, s := range tc.signals {
					sig <- s
				}
			}
			var r result
			select {
			case r = <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("dial did not end; stderr:\n%s", stderr.String())
			}
			if r.err != nil || r.code != tc.code {
				t.Fatalf("exit %d, %v, want %d; stderr:\n%s", r.code, r.err, tc.code, stderr.String())
			}
			for cmd, want := range map[string]string{
				"fsctl sps":          fmt.Sprintf("+OK sessions per second: %d\n", sps),
				"fsctl max_sessions": fmt.Sprintf("+OK max sessions: %d\n", sessions),
			} {
				if got, err := srv.API(context.Background(), cmd); err != nil || got != want {
					t.Errorf("after the run %s: %q, %v; want %q", cmd, got, err, want)
				}
			}
			out := stdout.String()
			var wantLines []string
			if tc.raised {
				wantLines = []string{fmt.Sprintf("server limits %s: sps 40 -> 80, max_sessions 250 -> 300 for the run, restored;"+
					" FreeSWITCH's status now shows an sps peak of at least 40 that no traffic made", srv.Addr())}
				if !strings.Contains(stderr.String(), fmt.Sprintf("server %s: sps 40 -> 80, max_sessions 250 -> 300 for this run (put back at its end)", srv.Addr())) {
					t.Errorf("the raise was not announced; stderr:\n%s", stderr.String())
				}
			} else {
				wantLines = []string{fmt.Sprintf("server limits %s: sps 40, max_sessions 250 unchanged (the run needs 20 and 200)", srv.Addr())}
			}
			for _, want := range wantLines {
				if !strings.Contains(out, want) {
					t.Errorf("summary lacks %q:\n%s", want, out)
				}
			}
			// The server's own status: the raise's phantom peak, or none.
			peak := statusSPSPeak(t, srv)
			if tc.raised && peak < 40 || !tc.raised && peak >= 40 {
				t.Errorf("status sps peak %d (raised %v)", peak, tc.raised)
			}
		})
	}
}

// statusSPSPeak reads the sessions-per-second peak of a server's status.
func statusSPSPeak(t *testing.T, s *fsemu.Server) int {
	t.Helper()
	status, err := s.API(context.Background(), "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(status, "\n") {
		var last, limit, peak, five int
		if _, err := fmt.Sscanf(l, "%d session(s) per Sec out of max %d, peak %d, last 5min %d", &last, &limit, &peak, &five); err == nil {
			return peak
		}
	}
	t.Fatalf("no sps line in status")
	return 0
}
