package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// The fault suite: during a dial over three emulated servers, a dropped
// connection, a stall, malformed frames, an event flood, a server killed
// and brought back on the same addresses. The run goes on with the
// others, the client reconnects and resynchronises, and every offered call
// has exactly one record with the outcome invariants kept.
func TestFaultSuite(t *testing.T) {
	// An originate whose result a fault took away (an event flood beyond
	// the queue's depth, a dropped connection) is given up by the sweep
	// after OriginateTimeout: 15 s keeps that within the test's time (the
	// far ends answer at once), where the default 60 s did not under the
	// whole suite's load on 2 cores.
	cfg := dialer.Config{Rate: 100, Limit: 1000, MaxOffered: 0, Duration: 500 * time.Millisecond, ServerTimeout: 2 * time.Second,
		OriginateTimeout: 15 * time.Second}
	r := newRecorder(&cfg)
	o, cl := newDialer(t, 3, cfg, fsemu.Config{}, true)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 2*time.Minute) // 36 s alone; much more under the suite's -race load
	step := func(answered uint64) {
		t.Helper()
		if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Answered < answered }); err != nil {
			t.Fatalf("waiting for %d answered: %v (%+v)", answered, err, o.Stats())
		}
	}
	step(30)
	cl.Server(0).DropConnections()
	step(60)
	cl.Server(1).Stall(500 * time.Millisecond)
	step(90)
	cl.Server(2).SendMalformed() // framing broken: that connection is closed and redialled
	step(120)
	cl.Server(0).FloodEvents(5000)
	step(150)
	// Kill server 2, then bring a new one up on its addresses.
	dead := cl.Server(2)
	esl, sip := dead.Addr(), dead.SIPAddr()
	dead.Kill()
	step(200)
	back, err := fsemu.Start(context.Background(), fsemu.Config{ListenAddr: esl, SIPAddr: sip, Network: cl.Network})
	if err != nil {
		t.Fatalf("restart %s: %v", esl, err)
	}
	t.Cleanup(back.Close)
	// The restarted server takes calls again: its channels show them.
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool {
		return len(back.Channels()) == 0
	}); err != nil {
		t.Fatalf("the restarted server got no calls: %v (%+v)", err, o.Stats())
	}
	// It got the load-test settings again (a restarted FreeSWITCH forgets
	// its fsctl sps and max_sessions).
	sps := func() string {
		out, err := back.API(ctx, "fsctl sps")
		if err != nil {
			return err.Error()
		}
		return out
	}
	if err := o.WaitWhile(ctx, func(dialer.Stats) bool { return sps() == "+OK sessions per second: 200\n" }); err != nil {
		t.Fatalf("setup not sent to the restarted server: %q", sps())
	}
	o.Stop()
	if err := o.Wait(ctx); err != nil {
		t.Fatalf("wait: %v (%+v)", err, o.Stats())
	}
	o.Close()
	sm := o.Summary()
	checkAccounting(t, sm, r)
	if sm.Offered < 200 || sm.Completed == 0 {
		t.Fatalf("summary %+v", sm)
	}
	t.Logf("offered %d, answered %d (completed %d, dropped %d, abandoned %d), failed %d %v, lost servers %v",
		sm.Offered, sm.Answered, sm.Completed, sm.Dropped, sm.Abandoned, sm.Failed, sm.FailedByCause, sm.LostServers)
}
