package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// Calls whose end switchio did not see happen on their server are
// abandoned under switchio's own cause, never completed; calls switchio
// cancels carry its cause, never the far end's. Each case checks every
// call's outcome and cause, not only the sums.
func TestOutcomesWhenEndsGoUnseen(t *testing.T) {
	type want struct {
		outcome dialer.Outcome
		cause   string
	}
	for _, tc := range []struct {
		name string
		emu  fsemu.Config
		// fault runs once every call is answered (or, with ringing far
		// ends, in set-up); it returns the server whose calls it hits.
		fault func(t *testing.T, o *dialer.Originator, cl *fsemu.Cluster) string
		hit   want // the hit server's calls
		other want // the other server's
		// serverTimeout is Config.ServerTimeout (default 2 s).
		serverTimeout time.Duration
	}{
		{
			// The server dies (SIGKILL) while its calls are held: their
			// hold timers fire while it is gone, and it stays gone past
			// the server timeout.
			name: "server killed",
			fault: func(t *testing.T, o *dialer.Originator, cl *fsemu.Cluster) string {
				cl.Server(1).Kill()
				return cl.Server(1).Addr()
			},
			hit:   want{dialer.Abandoned, dialer.CauseServerLost},
			other: want{dialer.Completed, "NORMAL_CLEARING"},
		},
		{
			// The server stops answering (SIGSTOP) past the calls' holds:
			// the drain runs out before any hang-up is seen.
			name: "server stalled, drain runs out",
			fault: func(t *testing.T, o *dialer.Originator, cl *fsemu.Cluster) string {
				cl.Server(1).Stall(4 * time.Second)
				time.Sleep(2500 * time.Millisecond) // the holds (1 s) run out meanwhile
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				defer cancel()
				_ = o.Abandon(ctx, dialer.CauseDrainTimeout)
				return cl.Server(1).Addr()
			},
			hit:   want{dialer.Abandoned, dialer.CauseDrainTimeout},
			other: want{dialer.Completed, "NORMAL_CLEARING"},
		},
		{
			// The server dies and a new one is back on its address before
			// the server timeout: the reconnect finds the calls gone.
			name: "server killed and back",
			fault: func(t *testing.T, o *dialer.Originator, cl *fsemu.Cluster) string {
				dead := cl.Server(1)
				esl, sip := dead.Addr(), dead.SIPAddr()
				dead.Kill()
				time.Sleep(1500 * time.Millisecond) // the holds run out meanwhile
				back, err := fsemu.Start(context.Background(), fsemu.Config{ListenAddr: esl, SIPAddr: sip, Network: cl.Network})
				if err != nil {
					t.Fatalf("restart %s: %v", esl, err)
				}
				t.Cleanup(back.Close)
				return esl
			},
			hit:           want{dialer.Abandoned, dialer.CauseLostOnReconnect},
			other:         want{dialer.Completed, "NORMAL_CLEARING"},
			serverTimeout: 20 * time.Second, // back well before it
		},
		{
			// A first Ctrl-C (dial's HupallCause) while a server is
			// stalled: its calls' hang-ups are never seen.
			name: "interrupted with a server stalled",
			fault: func(t *testing.T, o *dialer.Originator, cl *fsemu.Cluster) string {
				cl.Server(1).Stall(3 * time.Second)
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				defer cancel()
				_ = o.HupallCause(ctx, dialer.CauseInterrupted)
				time.Sleep(time.Second)
				_ = o.Abandon(ctx, dialer.CauseInterrupted)
				return cl.Server(1).Addr()
			},
			hit:   want{dialer.Abandoned, dialer.CauseInterrupted},
			other: want{dialer.Abandoned, dialer.CauseInterrupted},
		},
		{
			// A Ctrl-C while calls ring at the far end: cancelled in
			// set-up by switchio, not failed by the far end.
			name: "interrupted in set-up",
			emu:  fsemu.Config{Inbound: fsemu.Inbound{RingTime: 5 * time.Second, Action: "answer"}},
			fault: func(t *testing.T, o *dialer.Originator, cl *fsemu.Cluster) string {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_ = o.HupallCause(ctx, dialer.CauseInterrupted)
				return cl.Server(1).Addr()
			},
			hit:   want{dialer.Failed, dialer.CauseInterrupted},
			other: want{dialer.Failed, dialer.CauseInterrupted},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const calls = 20
			if tc.serverTimeout == 0 {
				tc.serverTimeout = 2 * time.Second
			}
			cfg := dialer.Config{Rate: 100, Limit: 100, MaxOffered: calls, Duration: time.Second, ServerTimeout: tc.serverTimeout}
			r := newRecorder(&cfg)
			o, cl := newDialer(t, 2, cfg, tc.emu, true)
			if err := o.Start(); err != nil {
				t.Fatal(err)
			}
			ctx := ctxT(t, 30*time.Second)
			ringing := tc.emu.Inbound.RingTime > 0
			if err := o.WaitWhile(ctx, func(st dialer.Stats) bool {
				if ringing {
					return st.Offered < calls
				}
				return st.Answered < calls
			}); err != nil {
				t.Fatalf("calls not up: %v (%+v)", err, o.Stats())
			}
			if ringing {
				time.Sleep(200 * time.Millisecond) // every originate on its server
			}
			hit := tc.fault(t, o, cl)
			if err := o.Wait(ctx); err != nil {
				t.Fatalf("wait: %v (%+v)", err, o.Stats())
			}
			o.Close()
			sm := o.Summary()
			checkAccounting(t, sm, r)
			r.mu.Lock()
			defer r.mu.Unlock()
			n := 0
			for _, c := range r.recs {
				w := tc.other
				if c.Server == hit {
					w, n = tc.hit, n+1
				}
				if c.Outcome != w.outcome || c.Cause != w.cause {
					t.Errorf("call %d on %s: %s %q, want %s %q", c.Seq, c.Server, c.Outcome, c.Cause, w.outcome, w.cause)
				}
			}
			if n == 0 {
				t.Fatal("no call on the server hit")
			}
			t.Logf("%s: completed %d, dropped %d, abandoned %d, failed %d %v", tc.name, sm.Completed, sm.Dropped, sm.Abandoned, sm.Failed, sm.FailedByCause)
		})
	}
}
