package dialer_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// HangupCalls ends every call up, those whose A leg the dialer has not
// seen yet included (the server stalled while they were offered), and
// leaves offering on; the calls are abandoned or failed under
// CauseHupall, each recorded once.
func TestHangupCallsKeepsOffering(t *testing.T) {
	cfg := dialer.Config{Rate: 100, Limit: 1000, Duration: time.Minute}
	r := newRecorder(&cfg)
	o, cl := newDialer(t, 1, cfg, fsemu.Config{}, true)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	waitAnswered(t, o, 10)
	cl.Server(0).Stall(400 * time.Millisecond)
	time.Sleep(200 * time.Millisecond) // offers the dialer sees no A leg of yet
	n := o.HangupCalls()
	if n < 10 {
		t.Fatalf("HangupCalls: %d calls, want at least the 10 answered", n)
	}
	if st := o.State(); st != dialer.Originating {
		t.Fatalf("state %v after HangupCalls", st)
	}
	offered := o.Stats().Offered
	waitOffered := func(st dialer.Stats) bool { return st.Offered < offered+10 }
	if err := o.WaitWhile(ctxT(t, 10*time.Second), waitOffered); err != nil {
		t.Fatalf("no offer after HangupCalls: %+v", o.Stats())
	}
	o.Stop()
	// The hold is a minute: only the hang-ups can end these calls soon.
	later := o.Stats().Offered - offered
	if err := o.WaitWhile(ctxT(t, 10*time.Second), func(st dialer.Stats) bool {
		return uint64(st.Active) > later
	}); err != nil {
		t.Fatalf("calls up at HangupCalls still up: %+v", o.Stats())
	}
	if err := o.Abandon(ctxT(t, 5*time.Second), dialer.CauseInterrupted); err != nil {
		t.Fatal(err)
	}
	o.Close()
	checkAccounting(t, o.Summary(), r)
	r.mu.Lock()
	defer r.mu.Unlock()
	hungUp := 0
	for _, c := range r.recs {
		if c.Cause == dialer.CauseHupall {
			hungUp++
			if c.Outcome != dialer.Abandoned && c.Outcome != dialer.Failed {
				t.Errorf("call %s hung up: outcome %v", c.UUID, c.Outcome)
			}
		}
	}
	if hungUp != n {
		t.Errorf("%d calls recorded under %s, want the %d HangupCalls hung up", hungUp, dialer.CauseHupall, n)
	}
}
