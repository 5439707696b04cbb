package dialer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// limitsEmu is a server configured below what the tests' runs need: 20
// sessions per second, 30 sessions.
var limitsEmu = fsemu.Config{SessionsPerSecond: 20, MaxSessions: 30}

// limitsOf reads a server's fsctl sps and max_sessions.
func limitsOf(s *fsemu.Server) string {
	var out []string
	for _, cmd := range []string{"fsctl sps", "fsctl max_sessions"} {
		o, err := s.API(context.Background(), cmd)
		if err != nil {
			o = err.Error()
		}
		out = append(out, strings.TrimSpace(o))
	}
	return strings.Join(out, "; ")
}

func limitsText(sps, sessions int) string {
	return fmt.Sprintf("+OK sessions per second: %d; +OK max sessions: %d", sps, sessions)
}

// waitLimits waits until a server's limits read want.
func waitLimits(t *testing.T, ctx context.Context, o *dialer.Originator, s *fsemu.Server, want string) {
	t.Helper()
	if err := o.WaitWhile(ctx, func(dialer.Stats) bool { return limitsOf(s) != want }); err != nil {
		t.Fatalf("limits %q, want %q: %v", limitsOf(s), want, err)
	}
}

// TestServerLimitsFollowTheRun: the limits Setup raised are raised again
// on a server restarted under the run (it forgot them) and further when
// the rate or the limit is raised live; Close puts back the values found
// before the run, and the record says what was found, needed and set and
// the largest phantom peak a raise made.
func TestServerLimitsFollowTheRun(t *testing.T) {
	cfg := dialer.Config{Rate: 10, Limit: 10, MaxOffered: 0, Duration: 100 * time.Millisecond, ServerTimeout: 30 * time.Second}
	o, cl := newDialer(t, 1, cfg, limitsEmu, true)
	ctx := ctxT(t, 60*time.Second)
	srv := cl.Server(0)
	if got := limitsOf(srv); got != limitsText(40, 120) {
		t.Fatalf("after Setup: %q", got)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	answered := func(n uint64) {
		t.Helper()
		if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Answered < n }); err != nil {
			t.Fatalf("waiting for %d answered: %v", n, err)
		}
	}
	answered(5)
	// Restart the server on its addresses, at its configured limits.
	esl, sip := srv.Addr(), srv.SIPAddr()
	srv.Kill()
	back, err := fsemu.Start(context.Background(), fsemu.Config{ListenAddr: esl, SIPAddr: sip, Network: cl.Network,
		SessionsPerSecond: limitsEmu.SessionsPerSecond, MaxSessions: limitsEmu.MaxSessions})
	if err != nil {
		t.Fatalf("restart %s: %v", esl, err)
	}
	t.Cleanup(back.Close)
	waitLimits(t, ctx, o, back, limitsText(40, 120))
	if err := o.SetRate(15); err != nil {
		t.Fatal(err)
	}
	waitLimits(t, ctx, o, back, limitsText(60, 120))
	if err := o.SetLimit(20); err != nil {
		t.Fatal(err)
	}
	waitLimits(t, ctx, o, back, limitsText(60, 140))
	if err := o.SetRate(5); err != nil { // lower: nothing to raise
		t.Fatal(err)
	}
	o.Stop()
	if err := o.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if got := limitsOf(back); got != limitsText(20, 30) {
		t.Errorf("after Close: %q", got)
	}
	want := []summary.ServerSetting{{
		Addr:            esl,
		SPS:             summary.SettingValue{Found: 20, Needed: 60, Set: 60},
		MaxSessions:     summary.SettingValue{Found: 30, Needed: 140, Set: 140},
		PhantomSPSPeak:  20,
		Restored:        true,
		RestoreCommands: []string{"fsctl sps 20", "fsctl max_sessions 30"},
	}}
	if got := o.Summary().ServerSettings; !slices.EqualFunc(got, want, equalSetting) {
		t.Errorf("summary server settings\n %+v, want\n %+v", got, want)
	}
}

func equalSetting(a, b summary.ServerSetting) bool {
	return a.Addr == b.Addr && a.SPS == b.SPS && a.MaxSessions == b.MaxSessions && a.PhantomSPSPeak == b.PhantomSPSPeak &&
		a.Restored == b.Restored && a.RestoreError == b.RestoreError && slices.Equal(a.RestoreCommands, b.RestoreCommands)
}

// TestServerLimitsNotRestored: a server that refuses the restore, or a
// Close that may not wait, leaves the record not restored with the reason
// and the commands that restore it; a later RestoreSettings puts the
// limits back. A run within a server's limits changes none of them.
func TestServerLimitsNotRestored(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     float64
		close    func(*dialer.Originator, *fsemu.Server)
		changed  bool
		errorHas string
	}{
		{"refused", 10, func(o *dialer.Originator, s *fsemu.Server) {
			s.DenyAPI("fsctl")
			o.Close()
			s.DenyAPI()
		}, true, "permission denied"},
		{"closed without waiting", 10, func(o *dialer.Originator, _ *fsemu.Server) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			o.CloseContext(ctx)
		}, true, "not sent"},
		{"within the limits", 5, func(o *dialer.Originator, _ *fsemu.Server) { o.Close() }, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := dialer.Config{Rate: tc.rate, Limit: 5, MaxOffered: 5, Duration: 50 * time.Millisecond}
			// Room for the sessions of 5 calls: only sps may be raised.
			o, cl := newDialer(t, 1, cfg, fsemu.Config{SessionsPerSecond: 20, MaxSessions: 200}, true)
			srv := cl.Server(0)
			run(t, o)
			tc.close(o, srv)
			got := o.ServerSettings()
			if len(got) != 1 || got[0].Changed() != tc.changed {
				t.Fatalf("server settings %+v, changed %v", got, tc.changed)
			}
			if !tc.changed {
				if got[0].SPS != (summary.SettingValue{Found: 20, Needed: 20}) || got[0].MaxSessions != (summary.SettingValue{Found: 200, Needed: 110}) ||
					got[0].PhantomSPSPeak != 0 || limitsOf(srv) != limitsText(20, 200) {
					t.Errorf("a run within the limits: %+v, server %q", got[0], limitsOf(srv))
				}
				return
			}
			s := got[0]
			if s.Restored || !strings.Contains(s.RestoreError, tc.errorHas) || !strings.Contains(s.RestoreError, srv.Addr()) ||
				!slices.Equal(s.RestoreCommands, []string{"fsctl sps 20"}) {
				t.Errorf("not restored: %+v", s)
			}
			if got := limitsOf(srv); got != limitsText(40, 200) {
				t.Errorf("left %q", got)
			}
			if err := o.RestoreSettings(ctxT(t, 5*time.Second)); err != nil {
				t.Fatalf("restore again: %v", err)
			}
			if got := limitsOf(srv); got != limitsText(20, 200) || !o.ServerSettings()[0].Restored {
				t.Errorf("after restoring again: %q, %+v", got, o.ServerSettings())
			}
		})
	}
}
