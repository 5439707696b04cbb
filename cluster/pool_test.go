package cluster_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// TestPoolCountersSummed places calls both ways between two servers and
// checks the pool's counters are the sum of the servers'.
func TestPoolCountersSummed(t *testing.T) {
	s1, s2, pool := twoServers(t)
	ctx := testCtx(t)
	c1, c2 := pool.Clients()[0], pool.Clients()[1]
	ids := []string{
		call(t, ctx, c1, s2.SIPAddr(), "red"),
		call(t, ctx, c2, s1.SIPAddr(), "blue"),
		call(t, ctx, c1, s2.SIPAddr(), "blue"),
	}
	for _, id := range ids {
		eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	}
	if n := pool.ActiveCalls(); n != 3 {
		t.Fatalf("ActiveCalls %d", n)
	}
	for _, id := range ids {
		if err := pool.Call(id).Hangup(ctx, "CALL_REJECTED"); err != nil {
			t.Fatal(err)
		}
	}
	// once the calls are seen gone, their outcomes are counted
	eventually(t, "calls gone", func() bool { return pool.ActiveCalls() == 0 && pool.Counters().SessionsActive == 0 })
	// Late events (the originates' BACKGROUND_JOBs) may still be counted
	// between the three snapshots: take them once they agree.
	var k1, k2, sum cluster.Counters
	eventually(t, "counters settled", func() bool {
		k1, k2, sum = c1.Counters(), c2.Counters(), pool.Counters()
		return sum.Jobs == k1.Jobs+k2.Jobs && sum.Events == k1.Events+k2.Events
	})
	if k1.SessionsTotal != 3 || k2.SessionsTotal != 3 {
		t.Fatalf("per server sessions %d %d", k1.SessionsTotal, k2.SessionsTotal)
	}
	if sum.SessionsTotal != 6 || sum.CallsDone != 3 || sum.Failed != 6 || sum.Jobs != k1.Jobs+k2.Jobs || sum.Events != k1.Events+k2.Events {
		t.Fatalf("sum %+v", sum)
	}
	if sum.SessionsPerApp["red"] != 2 || sum.SessionsPerApp["blue"] != 4 {
		t.Fatalf("SessionsPerApp %v", sum.SessionsPerApp)
	}
	var causes uint64
	for _, n := range sum.HangupCauses {
		causes += n
	}
	if causes != 6 || sum.HangupCauses["CALL_REJECTED"] == 0 {
		t.Fatalf("HangupCauses %v", sum.HangupCauses)
	}
	var failed int
	for cause := range sum.FailedByCause {
		failed += len(c1.FailedSessions(cause)) + len(c2.FailedSessions(cause))
	}
	if failed != 6 {
		t.Fatalf("%d failed sessions listed, want 6", failed)
	}
}

// subscribingApp handles nothing but declares DTMF, which its flows wait
// for; a Registrar.Subscribe'd event is subscribed at Load.
type subscribingApp struct{}

func (subscribingApp) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.Subscribe("dtmf", " CUSTOM  switchio::x ")
	return nil
}

func TestRegistrarSubscribe(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	c1, c2 := pool.Clients()[0], pool.Clients()[1]
	var mu sync.Mutex
	var digits []string
	c2.Observe(func(ev *cluster.Event) {
		if ev.Key == "DTMF" {
			mu.Lock()
			digits = append(digits, ev.Get("DTMF-Digit"))
			mu.Unlock()
		}
	})
	if err := c2.Load(ctx, "sub", subscribingApp{}); err != nil {
		t.Fatal(err)
	}
	id := call(t, ctx, c1, s2.SIPAddr(), "sub")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	caller := pool.Call(id).First()
	if err := caller.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := caller.SendDTMF(ctx, "4", 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "DTMF on the callee's client", func() bool { mu.Lock(); defer mu.Unlock(); return len(digits) > 0 })
	if digits[0] != "4" {
		t.Fatalf("digits %v", digits)
	}
}

// onceFailingApp fails its Setup on the second server it is loaded on.
type onceFailingApp struct{ n atomic.Int32 }

func (a *onceFailingApp) Setup(ctx context.Context, r *cluster.Registrar) error {
	if a.n.Add(1) == 2 {
		return errors.New("second server refused")
	}
	return nil
}

func TestPoolLoadUndoesOnlyItself(t *testing.T) {
	_, _, pool := twoServers(t)
	ctx := testCtx(t)
	if err := pool.Load(ctx, "id", &answerApp{}); err != nil {
		t.Fatal(err)
	}
	if err := pool.Load(ctx, "id", &onceFailingApp{}); err == nil {
		t.Fatal("failing load accepted")
	}
	for _, c := range pool.Clients() {
		if got := strings.Join(c.Apps("id"), ","); got != "answerApp" {
			t.Fatalf("%s: apps %q after a failed load", c.Addr(), got)
		}
	}
}

// introspectingApp looks at the client's apps from Setup and Teardown.
type introspectingApp struct{ seen []string }

func (a *introspectingApp) Setup(ctx context.Context, r *cluster.Registrar) error {
	a.seen = append(a.seen, strings.Join(r.Client().Apps("intro"), ","))
	return nil
}

func (a *introspectingApp) Teardown(ctx context.Context, c *cluster.Client) error {
	a.seen = append(a.seen, strings.Join(c.AppIDs(), ","))
	return nil
}

// TestSetupAndTeardownMayUseTheClient: Setup and Teardown run without the
// client's app lock held, so they may list (or load) apps.
func TestSetupAndTeardownMayUseTheClient(t *testing.T) {
	srv := fsemu.RunT(t)
	ctx := testCtx(t)
	c, err := cluster.Dial(ctx, srv.Addr(), cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := &introspectingApp{}
	done := make(chan error, 1)
	go func() {
		if err := c.Load(ctx, "intro", &answerApp{}); err != nil {
			done <- err
			return
		}
		if err := c.Load(ctx, "intro", a); err != nil {
			done <- err
			return
		}
		done <- c.Unload(ctx, "intro")
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Load or Unload deadlocked on an app using its client")
	}
	if got := strings.Join(a.seen, ";"); got != "answerApp;" {
		t.Fatalf("seen %q", got)
	}
}
