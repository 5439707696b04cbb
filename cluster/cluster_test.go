package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/esl/wire"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// twoServers starts two emulated servers on one SIP network and a pool over
// both.
func twoServers(t *testing.T) (*fsemu.Server, *fsemu.Server, *cluster.Pool) {
	t.Helper()
	n := fsemu.NewNetwork()
	s1 := fsemu.RunT(t, fsemu.Config{Network: n})
	s2 := fsemu.RunT(t, fsemu.Config{Network: n})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := cluster.NewPool(ctx, []string{s1.Addr(), s2.Addr()}, cluster.Config{ReconnectMin: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return s1, s2, pool
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// call originates from c to the SIP address dest, tagged with appID.
func call(t *testing.T, ctx context.Context, c *cluster.Client, dest, appID string) string {
	t.Helper()
	id := fmt.Sprintf("%08d-0000-4000-8000-%012d", time.Now().UnixNano()%1e8, time.Now().UnixNano()%1e12)
	req := originate.Request{Dest: "1000@" + dest, UUID: id, Headers: []originate.Var{
		{Name: "X-switchio_originating_session", Value: id},
		{Name: "X-switchio_app", Value: appID},
	}}
	cmd, err := req.Command()
	if err != nil {
		t.Fatal(err)
	}
	// The job completes only when the far end answers (or fails), as in
	// FreeSWITCH; callers wait for what they need.
	if _, err := c.BgAPI(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	return id
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCallCorrelatedAcrossServers(t *testing.T) {
	s1, s2, pool := twoServers(t)
	ctx := testCtx(t)
	c1, c2 := pool.Clients()[0], pool.Clients()[1]
	id := call(t, ctx, c1, s2.SIPAddr(), "x")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	cl := pool.Call(id)
	a, b := cl.First(), cl.Last()
	if a.Client() != c1 || b.Client() != c2 {
		t.Fatalf("legs on %s and %s", a.Client().Addr(), b.Client().Addr())
	}
	if !a.IsOutbound() || !b.IsInbound() || cl.Peer(a) != b {
		t.Fatalf("directions %s %s", a.Direction(), b.Direction())
	}
	if a.AppID() != "x" || b.AppID() != "x" {
		t.Fatalf("app ids %q %q", a.AppID(), b.AppID())
	}
	_ = s1
	if err := cl.Hangup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "call gone", func() bool { return pool.Call(id) == nil })
	k := pool.Counters()
	if k.SessionsTotal != 2 || k.SessionsActive != 0 || k.CallsDone != 1 {
		t.Fatalf("counters %+v", k)
	}
	// never answered: both legs failed; the callee sees the caller cancel
	if k.Failed != 2 || k.FailedByCause["NORMAL_CLEARING"] != 1 || k.FailedByCause["ORIGINATOR_CANCEL"] != 1 {
		t.Fatalf("failed %d by cause %v", k.Failed, k.FailedByCause)
	}
}

func TestCorrelateByOtherHeader(t *testing.T) {
	n := fsemu.NewNetwork()
	s1 := fsemu.RunT(t, fsemu.Config{Network: n})
	s2 := fsemu.RunT(t, fsemu.Config{Network: n})
	ctx := testCtx(t)
	pool, err := cluster.NewPool(ctx, []string{s1.Addr(), s2.Addr()}, cluster.Config{
		CorrelationHeaders: []string{"variable_sip_h_X-Campaign-Call"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	req := originate.Request{Dest: "1000@" + s2.SIPAddr(), Headers: []originate.Var{{Name: "X-Campaign-Call", Value: "c-42"}}}
	cmd, _ := req.Command()
	if _, err := pool.Clients()[0].BgAPI(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two legs under the custom key", func() bool { c := pool.Call("c-42"); return c != nil && c.Len() == 2 })
}

// answerApp answers inbound legs when parked and counts what it saw.
type answerApp struct {
	parks, answers atomic.Int32
}

func (a *answerApp) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		if ev.Session.IsInbound() {
			a.parks.Add(1)
			if err := ev.Session.Queue().Answer(); err != nil {
				panic(err)
			}
		}
	})
	r.On("CHANNEL_ANSWER", func(ctx context.Context, ev *cluster.Event) { a.answers.Add(1) })
	return nil
}

type panicApp struct{}

func (panicApp) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) { panic("boom") })
	return nil
}

func TestPanicIsolatedAndLoadOrder(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	ans := &answerApp{}
	if err := pool.Load(ctx, "iso", panicApp{}, ans); err != nil {
		t.Fatal(err)
	}
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "iso")
	eventually(t, "answered after a panicking app", func() bool {
		c := pool.Call(id)
		return c != nil && c.Len() == 2 && c.First().Answered() && c.Last().Answered()
	})
	if k := pool.Counters(); k.AppPanics == 0 {
		t.Fatalf("panic not counted: %+v", k)
	}
	if got := pool.Clients()[1].Apps("iso"); strings.Join(got, ",") != "panicApp,answerApp" {
		t.Fatalf("load order %v", got)
	}
	// at most one app of a name per id, and loading is atomic
	if err := pool.Load(ctx, "iso", panicApp{}); !errors.Is(err, cluster.ErrAppLoaded) {
		t.Fatalf("duplicate load: %v", err)
	}
	if err := pool.Clients()[0].Load(ctx, "atomic", &answerApp{}, failingApp{}); err == nil {
		t.Fatal("failing setup loaded")
	}
	if got := pool.Clients()[0].Apps("atomic"); len(got) != 0 {
		t.Fatalf("partial load left %v", got)
	}
}

type failingApp struct{}

func (failingApp) Setup(context.Context, *cluster.Registrar) error { return errors.New("no") }

// flowApp runs a sequential flow on the inbound leg.
type flowApp struct {
	run  func(ctx context.Context, ev *cluster.Event) error
	errs chan error
}

func (f *flowApp) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.Flow("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) error {
		if !ev.Session.IsInbound() {
			return nil
		}
		err := f.run(ctx, ev)
		f.errs <- err
		return err
	})
	return nil
}

func TestSessionFlow(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	app := &flowApp{errs: make(chan error, 1)}
	var dtmf atomic.Value
	app.run = func(ctx context.Context, ev *cluster.Event) error {
		s := ev.Session
		if err := s.Answer(ctx); err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		if !s.Answered() {
			return errors.New("Answer returned before CHANNEL_ANSWER")
		}
		if err := s.SetVar(ctx, "greeting", "hello world"); err != nil {
			return err
		}
		v, err := s.GetVar(ctx, "greeting")
		if err != nil || v != "hello world" {
			return fmt.Errorf("getvar %q %v", v, err)
		}
		if err := s.SetVars(ctx, map[string]string{"a": "1", "b": "x;y"}); err != nil {
			return err
		}
		if v, _ := s.GetVar(ctx, "b"); v != "x;y" {
			return fmt.Errorf("setvars b=%q", v)
		}
		if err := s.UnsetVar(ctx, "a"); err != nil {
			return err
		}
		if v, _ := s.GetVar(ctx, "a"); v != "" {
			return fmt.Errorf("unset a=%q", v)
		}
		done, err := s.ExecuteWait(ctx, "playback", "silence_stream://100")
		if err != nil {
			return fmt.Errorf("execute wait: %w", err)
		}
		if done.Get("Application") != "playback" {
			return fmt.Errorf("completion of %q", done.Get("Application"))
		}
		// DTMF sent from the far (outbound) leg arrives here
		peer := s.Call().Peer(s)
		if peer == nil {
			return errors.New("no peer")
		}
		recv := make(chan *cluster.Event, 1)
		go func() {
			e, _ := s.Recv(ctx, "DTMF")
			recv <- e
		}()
		time.Sleep(20 * time.Millisecond)
		if err := peer.SendDTMF(ctx, "5", 100*time.Millisecond); err != nil {
			return err
		}
		select {
		case e := <-recv:
			if e == nil {
				return errors.New("no DTMF")
			}
			dtmf.Store(e.Get("DTMF-Digit"))
		case <-ctx.Done():
			return ctx.Err()
		}
		return s.Hangup(ctx, "USER_BUSY")
	}
	if err := pool.Load(ctx, "flow", app); err != nil {
		t.Fatal(err)
	}
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "flow")
	select {
	case err := <-app.errs:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("flow did not finish")
	}
	if dtmf.Load() != "5" {
		t.Fatalf("dtmf %v", dtmf.Load())
	}
	eventually(t, "call ended", func() bool { return pool.Call(id) == nil })
	if k := pool.Clients()[1].Counters(); k.HangupCauses["USER_BUSY"] != 1 {
		t.Fatalf("causes %v", k.HangupCauses)
	}
}

func TestWaitFailsAtOnceOnHangup(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	app := &flowApp{errs: make(chan error, 1)}
	app.run = func(ctx context.Context, ev *cluster.Event) error {
		_, err := ev.Session.Recv(ctx, "DTMF") // never comes
		return err
	}
	if err := pool.Load(ctx, "wait", app); err != nil {
		t.Fatal(err)
	}
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "wait")
	eventually(t, "call up", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	start := time.Now()
	if err := pool.Call(id).First().Hangup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-app.errs:
		if !errors.Is(err, cluster.ErrHungUp) {
			t.Fatalf("got %v, want ErrHungUp", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("wait failed only after %v", d)
		}
	case <-ctx.Done():
		t.Fatal("waiter never failed")
	}
}

func TestLoopWaitRefused(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	got := make(chan error, 1)
	app := &handlerApp{event: "CHANNEL_PARK", fn: func(ctx context.Context, ev *cluster.Event) {
		if ev.Session.IsInbound() {
			_, err := ev.Session.Recv(ctx, "DTMF")
			got <- err
		}
	}}
	if err := pool.Load(ctx, "loop", app); err != nil {
		t.Fatal(err)
	}
	call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "loop")
	if err := <-got; !errors.Is(err, cluster.ErrWouldBlock) {
		t.Fatalf("got %v", err)
	}
}

// A handler that escapes the loop's context (context.Background(), or a
// context of its own) is refused all the same: the guard knows the
// goroutine running handlers, so a waiting Session method, an api or a
// bgapi fails at once with ErrWouldBlock, where it would deadlock the
// connection's reader (the only goroutine that can read its reply).
func TestLoopWaitRefusedWithoutLoopContext(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	type result struct {
		what string
		err  error
	}
	got := make(chan result, 8)
	app := &handlerApp{event: "CHANNEL_PARK", fn: func(_ context.Context, ev *cluster.Event) {
		if !ev.Session.IsInbound() {
			return
		}
		bg := context.Background()
		own, cancel := context.WithTimeout(bg, time.Hour)
		defer cancel()
		got <- result{"Answer(Background)", ev.Session.Answer(bg)}
		_, err := ev.Session.GetVar(own, "uuid")
		got <- result{"GetVar(own ctx)", err}
		_, err = ev.Client.API(bg, "status")
		got <- result{"Client.API", err}
		_, err = ev.Client.BgAPI(bg, "status")
		got <- result{"Client.BgAPI", err}
		got <- result{"Queue().Answer", ev.Session.Queue().Answer()}
	}}
	if err := pool.Load(ctx, "escape", app); err != nil {
		t.Fatal(err)
	}
	call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "escape")
	for range 4 {
		select {
		case r := <-got:
			if !errors.Is(r.err, cluster.ErrWouldBlock) {
				t.Errorf("%s from a handler: %v, want ErrWouldBlock", r.what, r.err)
			}
		case <-ctx.Done():
			t.Fatal("the handler never returned: the loop is stuck")
		}
	}
	if r := <-got; r.err != nil {
		t.Errorf("%s: %v (the queued form is what handlers use)", r.what, r.err)
	}
	// Outside a handler the same calls wait as they should.
	if _, err := pool.Clients()[0].API(ctx, "status"); err != nil {
		t.Fatalf("API outside a handler: %v", err)
	}
}

type handlerApp struct {
	event string
	fn    cluster.HandlerFunc
}

func (h *handlerApp) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.On(h.event, h.fn)
	return nil
}

func TestCustomEventsSubscribedAutomatically(t *testing.T) {
	s1 := fsemu.RunT(t)
	ctx := testCtx(t)
	c, err := cluster.Dial(ctx, s1.Addr(), cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 1)
	if err := c.Load(ctx, "", &handlerApp{event: "CUSTOM switchio::test", fn: func(ctx context.Context, ev *cluster.Event) {
		got <- ev.Get("X-Msg")
	}}); err != nil {
		t.Fatal(err)
	}
	conn := c.Conn()
	if _, err := conn.SendEvent(ctx, "CUSTOM", []wireHeader{{Name: "Event-Subclass", Value: "switchio::test"}, {Name: "X-Msg", Value: "hi"}}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if v != "hi" {
			t.Fatalf("got %q", v)
		}
	case <-ctx.Done():
		t.Fatal("custom event not delivered")
	}
}

func TestReconnectResynchronises(t *testing.T) {
	s1, s2, pool := twoServers(t)
	ctx := testCtx(t)
	c1 := pool.Clients()[0]
	id := call(t, ctx, c1, s2.SIPAddr(), "rc")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	s1.DropConnections()
	eventually(t, "reconnected", func() bool { return c1.Counters().Reconnects >= 1 && c1.Conn() != nil })
	if c1.Session(id) == nil {
		t.Fatal("live session lost across reconnect")
	}
	// a call placed on the other server meanwhile still works
	id2 := call(t, ctx, pool.Clients()[1], s1.SIPAddr(), "rc")
	eventually(t, "second call", func() bool { c := pool.Call(id2); return c != nil && c.Len() == 2 })
	// events flow again on the reconnected client: hang up and see it end
	if err := c1.Session(id).Hangup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "first call ended", func() bool { return pool.Call(id) == nil })
}

type wireHeader = wire.Header

var _ = sync.Mutex{}

// Observe's stop func ends the observation: events that come after it
// are not shown, while a second observer still sees them.
func TestObserveStop(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	c := pool.Clients()[0]
	var mu sync.Mutex
	seen := map[string]int{}
	stop := c.Observe(func(ev *cluster.Event) { mu.Lock(); seen["stopped"]++; mu.Unlock() })
	c.Observe(func(ev *cluster.Event) { mu.Lock(); seen["kept"]++; mu.Unlock() })
	count := func(k string) int { mu.Lock(); defer mu.Unlock(); return seen[k] }
	call(t, ctx, c, s2.SIPAddr(), "observe")
	eventually(t, "events observed", func() bool { return count("stopped") > 0 })
	stop()
	stop() // idempotent
	kept := count("kept")
	call(t, ctx, c, s2.SIPAddr(), "observe")
	// Events are shown one at a time: once the kept observer has seen one
	// after stop, an event the stopped one was being shown has finished.
	eventually(t, "the kept observer sees an event after stop", func() bool { return count("kept") > kept })
	before, kept := count("stopped"), count("kept")
	call(t, ctx, c, s2.SIPAddr(), "observe")
	eventually(t, "the kept observer sees a third call", func() bool { return count("kept") > kept })
	if n := count("stopped"); n != before {
		t.Fatalf("stopped observer saw %d more events", n-before)
	}
}
