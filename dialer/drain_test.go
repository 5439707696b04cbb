package dialer_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// TestEndsBy checks when the dialer expects its calls to end: while a far
// end rings, a call may take its originate timeout before its hold; once
// answered, only its hold.
func TestEndsBy(t *testing.T) {
	const (
		ring = 1500 * time.Millisecond
		hold = time.Second
		ot   = 20 * time.Second
		// slack is how late WaitWhile (250 ms polls) may see a change.
		slack = 400 * time.Millisecond
	)
	emu := fsemu.Config{Inbound: fsemu.Inbound{RingTime: ring, Action: "answer"}}
	cfg := dialer.Config{Rate: 50, Limit: 10, MaxOffered: 3, Duration: hold, OriginateTimeout: ot}
	o, _ := newDialer(t, 1, cfg, emu, true)
	if _, ok := o.EndsBy(); ok {
		t.Fatal("EndsBy reports calls before any was offered")
	}
	start := time.Now()
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 20*time.Second)
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Offered < 3 }); err != nil {
		t.Fatal(err)
	}
	offered := time.Now()
	end, ok := o.EndsBy()
	if !ok {
		t.Fatal("no call in flight while they ring")
	}
	// The last offer plus the originate timeout and the hold.
	if lo, hi := offered.Add(ot+hold-slack), offered.Add(ot+hold); end.Before(lo) || end.After(hi) {
		t.Fatalf("ringing calls end by %v after the start, want the originate timeout and the hold after the last offer (%v)",
			end.Sub(start), offered.Add(ot+hold).Sub(start))
	}
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Answered < 3 }); err != nil {
		t.Fatal(err)
	}
	answered := time.Now()
	end, ok = o.EndsBy()
	if !ok {
		t.Fatal("no call in flight while they are held")
	}
	// The last answer plus the hold.
	if lo, hi := answered.Add(hold-slack), answered.Add(hold); end.Before(lo) || end.After(hi) {
		t.Fatalf("answered calls end by %v after the start, want the hold after the last answer (%v)",
			end.Sub(start), answered.Add(hold).Sub(start))
	}
	if err := o.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := o.EndsBy(); ok {
		t.Fatal("EndsBy reports calls after every call ended")
	}
	if sm := o.Summary(); sm.Completed != 3 {
		t.Fatalf("%d of 3 calls completed", sm.Completed)
	}
}
