package dialer_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/dialtest"
)

// TestRealServerLimitsPutBack: on a real FreeSWITCH (opt-in:
// dialtest.EnvRealFS), a short dial (10 calls at 5/s to the answer0 far
// end of docs/far-end-dialplan.md) leaves "fsctl sps" and "fsctl
// max_sessions" as they were: a run within the limits sends no change at
// all, and limits set for a run (one above the server's, so the phantom
// sps peak it leaves in the shared server's status is 1 plus that
// second's sessions) are in force during it and put back by Close.
func TestRealServerLimitsPutBack(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	addr := real.Addrs[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := cluster.NewPool(ctx, real.Addrs, cluster.Config{Password: real.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	c := pool.Clients()[0]
	limits := func() (sps, sessions int) {
		t.Helper()
		for _, l := range []struct {
			cmd, prefix string
			v           *int
		}{{"fsctl sps", "+OK sessions per second: ", &sps}, {"fsctl max_sessions", "+OK max sessions: ", &sessions}} {
			out, err := c.API(ctx, l.cmd)
			if err != nil {
				t.Fatal(err)
			}
			n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(out), l.prefix))
			if err != nil || !strings.HasPrefix(out, l.prefix) {
				t.Fatalf("%s: %q", l.cmd, out)
			}
			*l.v = n
		}
		return sps, sessions
	}
	sip, err := c.SIPAddr(ctx, "external")
	if err != nil {
		t.Fatal(err)
	}
	sps0, max0 := limits()
	t.Logf("%s: fsctl sps %d, max_sessions %d", addr, sps0, max0)
	for _, tc := range []struct {
		name    string
		st      dialer.Settings
		changed bool
	}{
		{"within the limits", dialer.Settings{}, false},
		{"set for the run", dialer.Settings{SPS: sps0 + 1, MaxSessions: max0 + 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := dialer.New(ctx, pool, dialer.Config{Rate: 5, Limit: 10, MaxOffered: 10, Duration: time.Second,
				Dests: map[string]string{addr: "answer0@" + sip}})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			if err := o.Setup(ctx, tc.st); err != nil {
				t.Fatal(err)
			}
			if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
				t.Fatal(err)
			}
			if sps, sessions := limits(); tc.changed != (sps != sps0 || sessions != max0) {
				t.Errorf("during the run: sps %d, max_sessions %d (before %d, %d)", sps, sessions, sps0, max0)
			}
			if err := o.Start(); err != nil {
				t.Fatal(err)
			}
			if err := o.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			sm := o.Summary()
			if sps, sessions := limits(); sps != sps0 || sessions != max0 {
				t.Errorf("after the run: sps %d, max_sessions %d, want %d, %d", sps, sessions, sps0, max0)
			}
			if len(sm.ServerSettings) != 1 {
				t.Fatalf("server settings %+v", sm.ServerSettings)
			}
			s := sm.ServerSettings[0]
			t.Logf("%d answered; %+v", sm.Answered, s)
			if s.Changed() != tc.changed || tc.changed && !s.Restored || s.SPS.Found != sps0 || s.MaxSessions.Found != max0 {
				t.Errorf("server settings %+v", s)
			}
			if want := map[bool]int{false: 0, true: 1}[tc.changed]; s.PhantomSPSPeak != want {
				t.Errorf("phantom sps peak %d, want %d", s.PhantomSPSPeak, want)
			}
			if sm.Answered != 10 {
				t.Errorf("%d of 10 answered: %v", sm.Answered, sm.FailedByCause)
			}
		})
	}
}
