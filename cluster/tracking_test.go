package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// chanEvent builds a channel event for uuid with extra headers.
func chanEvent(name, uuid string, kv ...string) *wire.Event {
	ev := wire.NewEvent(name)
	ev.Add("Unique-ID", uuid)
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Add(kv[i], kv[i+1])
	}
	return ev
}

func TestSeveralWaitersEachGetTheEvent(t *testing.T) {
	c, loop := newLoopClient(Config{})
	c.handle(loop, chanEvent("CHANNEL_CREATE", "u1", "Call-Direction", "inbound"))
	s := c.Session("u1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type res struct {
		ev  *Event
		err error
	}
	const n = 3
	got := make(chan res, n+1)
	for i := 0; i < n; i++ {
		go func() {
			ev, err := s.Recv(ctx, "DTMF")
			got <- res{ev, err}
		}()
	}
	// one waiter for an event that still comes after hang-up
	go func() {
		ev, err := s.Recv(ctx, "channel_hangup_complete")
		got <- res{ev, err}
	}()
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.waiters) == n+1 })
	c.handle(loop, chanEvent("DTMF", "u1", "DTMF-Digit", "7"))
	for i := 0; i < n; i++ {
		r := <-got
		if r.err != nil || r.ev.Get("DTMF-Digit") != "7" {
			t.Fatalf("waiter %d: %v %v", i, r.ev, r.err)
		}
	}
	// a wait started after hang-up fails at once; HANGUP_COMPLETE still comes
	c.handle(loop, chanEvent("CHANNEL_HANGUP", "u1", "Hangup-Cause", "USER_BUSY"))
	if _, err := s.Recv(ctx, "DTMF"); !errors.Is(err, ErrHungUp) {
		t.Fatalf("Recv after hang-up: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed at hang-up")
	}
	c.handle(loop, chanEvent("CHANNEL_HANGUP_COMPLETE", "u1", "Hangup-Cause", "USER_BUSY"))
	if r := <-got; r.err != nil || r.ev.Key != "CHANNEL_HANGUP_COMPLETE" {
		t.Fatalf("hang-up complete waiter: %v", r.err)
	}
	// a waiter cancelled by its ctx leaves nothing behind
	c.handle(loop, chanEvent("CHANNEL_CREATE", "u2"))
	s2 := c.Session("u2")
	cctx, ccancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := s2.Recv(cctx, "DTMF"); done <- err }()
	waitFor(t, func() bool { s2.mu.Lock(); defer s2.mu.Unlock(); return len(s2.waiters) == 1 })
	ccancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Recv: %v", err)
	}
	s2.mu.Lock()
	left := len(s2.waiters)
	s2.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d waiters left after cancel", left)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFailedSessionsBoundedPerCause(t *testing.T) {
	c, loop := newLoopClient(Config{FailedPerCause: 3})
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("busy-%d", i)
		c.handle(loop, chanEvent("CHANNEL_CREATE", id))
		c.handle(loop, chanEvent("CHANNEL_HANGUP_COMPLETE", id, "Hangup-Cause", "USER_BUSY"))
		c.handle(loop, chanEvent("CHANNEL_DESTROY", id, "Hangup-Cause", "USER_BUSY"))
	}
	// answered and cleared normally: not failed
	c.handle(loop, chanEvent("CHANNEL_CREATE", "ok"))
	c.handle(loop, chanEvent("CHANNEL_ANSWER", "ok"))
	c.handle(loop, chanEvent("CHANNEL_DESTROY", "ok", "Hangup-Cause", "NORMAL_CLEARING"))
	// never answered: failed even with NORMAL_CLEARING
	c.handle(loop, chanEvent("CHANNEL_CREATE", "unanswered"))
	c.handle(loop, chanEvent("CHANNEL_DESTROY", "unanswered", "Hangup-Cause", "NORMAL_CLEARING"))
	if got := c.FailedSessions("USER_BUSY"); !slices.Equal(got, []string{"busy-2", "busy-3", "busy-4"}) {
		t.Fatalf("FailedSessions %v", got)
	}
	if got := c.FailedSessions("NORMAL_CLEARING"); !slices.Equal(got, []string{"unanswered"}) {
		t.Fatalf("FailedSessions(NORMAL_CLEARING) %v", got)
	}
	k := c.Counters()
	if k.Failed != 6 || k.FailedByCause["USER_BUSY"] != 5 || k.HangupCauses["NORMAL_CLEARING"] != 2 ||
		k.SessionsTotal != 7 || k.SessionsActive != 0 || k.CallsDone != 7 || k.SessionsPerApp[DefaultAppID] != 7 {
		t.Fatalf("counters %+v", k)
	}
}

// appIDApp records the app id each event was dispatched under.
type appIDApp struct {
	mu   sync.Mutex
	seen []string
	id   string
}

func (a *appIDApp) Setup(ctx context.Context, r *Registrar) error {
	for _, ev := range []string{"CHANNEL_CREATE", "HEARTBEAT"} {
		r.On(ev, func(ctx context.Context, e *Event) {
			a.mu.Lock()
			defer a.mu.Unlock()
			u := e.UniqueID()
			if u == "" {
				u = e.Key
			}
			a.seen = append(a.seen, a.id+":"+u)
		})
	}
	return nil
}

type appIDApp2 struct{ appIDApp }

func TestAppIDFromHeaders(t *testing.T) {
	c, loop := newLoopClient(Config{AppIDHeaders: []string{"variable_first", "variable_second"}})
	byID := map[string]*appIDApp{}
	for _, id := range []string{"one", "two", DefaultAppID} {
		a := &appIDApp{id: id}
		byID[id] = a
		if err := c.Load(loop, id, a); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		uuid   string
		kv     []string
		wantID string
	}{
		{"both", []string{"variable_first", "one", "variable_second", "two"}, "one"},
		{"second", []string{"variable_second", "two"}, "two"},
		{"empty first", []string{"variable_first", "", "variable_second", "two"}, "two"},
		{"none", nil, DefaultAppID},
		{"no apps", []string{"variable_first", "nobody"}, "nobody"},
		// a far end: the first header names the caller's id, not served
		// here; the second names one that is
		{"unserved first", []string{"variable_first", "nobody", "variable_second", "two"}, "two"},
		// naming no served id, the call keeps the first it names
		{"none served", []string{"variable_first", "nobody", "variable_second", "elsewhere"}, "nobody"},
	}
	for _, tt := range tests {
		c.handle(loop, chanEvent("CHANNEL_CREATE", tt.uuid, tt.kv...))
		s := c.Session(tt.uuid)
		if s == nil || s.AppID() != tt.wantID {
			t.Fatalf("%s: app id %q, want %q", tt.uuid, s.AppID(), tt.wantID)
		}
		// later events follow the session's id, whatever their headers say
		c.handle(loop, chanEvent("CHANNEL_ANSWER", tt.uuid, "variable_first", "two"))
		c.handle(loop, chanEvent("CHANNEL_DESTROY", tt.uuid))
	}
	// an event of no session is dispatched by its own headers
	c.handle(loop, wire.NewEvent("HEARTBEAT"))
	want := map[string][]string{
		"one":        {"one:both"},
		"two":        {"two:second", "two:empty first", "two:unserved first"},
		DefaultAppID: {"default:none", "default:HEARTBEAT"},
	}
	for id, w := range want {
		if got := byID[id].seen; !slices.Equal(got, w) {
			t.Errorf("apps of %q saw %v, want %v", id, got, w)
		}
	}
	k := c.Counters()
	if k.SessionsPerApp["nobody"] != 2 || k.SessionsPerApp["two"] != 3 || k.SessionsActive != 0 {
		t.Fatalf("counters %+v", k)
	}
}

func TestKeepVariables(t *testing.T) {
	c, loop := newLoopClient(Config{KeepVariables: []string{"variable_sip_h_X-Campaign", "variable_absent"}})
	c.handle(loop, chanEvent("CHANNEL_CREATE", "k1", "variable_sip_h_X-Campaign", "spring", "variable_other", "x"))
	s := c.Session("k1")
	if s.Var("variable_sip_h_X-Campaign") != "spring" || s.Var("variable_other") != "" || s.Var("variable_absent") != "" {
		t.Fatalf("kept %v", s.vars)
	}
	if len(s.vars) != 1 {
		t.Fatalf("vars %v: only present kept variables are stored", s.vars)
	}
	s.SetLocal("variable_sip_h_X-Campaign", "local")
	if s.Var("variable_sip_h_X-Campaign") != "local" {
		t.Fatal("SetLocal did not override")
	}
	// with none of the kept variables present no map is allocated
	c.handle(loop, chanEvent("CHANNEL_CREATE", "k2", "variable_other", "spring"))
	if c.Session("k2").vars != nil {
		t.Fatal("vars allocated for nothing kept")
	}
}
