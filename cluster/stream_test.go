package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// loopbackServer is one emulated server and a client of it: a loopback
// call's digits reach its other leg one per 20 ms frame.
func loopbackServer(t *testing.T, cfg cluster.Config) *cluster.Client {
	t.Helper()
	s := fsemu.RunT(t, fsemu.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := cluster.Dial(ctx, s.Addr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var loopbackSeq atomic.Int64

// loopbackCall places a loopback call and returns its A leg's uuid and its
// B leg (which receives what A sends).
func loopbackCall(t *testing.T, ctx context.Context, c *cluster.Client) (string, *cluster.Session) {
	t.Helper()
	n := loopbackSeq.Add(1)
	dest := fmt.Sprintf("digits%d", n)
	a := fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	if _, err := c.BgAPI(ctx, "originate {origination_uuid="+a+"}loopback/"+dest+"/switchio &park()"); err != nil {
		t.Fatal(err)
	}
	var b *cluster.Session
	eventually(t, "the B leg", func() bool {
		for _, s := range c.Sessions() {
			if s.Destination() == dest && s.UUID() != a {
				b = s
				return true
			}
		}
		return false
	})
	if err := b.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func sendDigits(t *testing.T, ctx context.Context, c *cluster.Client, a, digits string) {
	t.Helper()
	if _, err := c.API(ctx, "uuid_send_dtmf "+a+" "+digits); err != nil {
		t.Fatal(err)
	}
}

// TestEventStreamKeepsEventsUntilRead: events arriving while nobody reads
// wait in the stream, in order; a Recv started after them sees none.
func TestEventStreamKeepsEventsUntilRead(t *testing.T) {
	ctx := testCtx(t)
	c := loopbackServer(t, cluster.Config{})
	a, b := loopbackCall(t, ctx, c)
	st, err := b.Events(ctx, "DTMF")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sendDigits(t, ctx, c, a, "123")
	eventually(t, "three digits buffered", func() bool { return st.Buffered() == 3 })
	rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if ev, err := b.Recv(rctx, "DTMF"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv after the digits: %v %v, want nothing (it only sees what comes while it waits)", ev, err)
	}
	got := ""
	for range 3 {
		ev, err := st.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got += ev.Get("DTMF-Digit")
	}
	if got != "123" {
		t.Fatalf("stream gave %q, want 123", got)
	}
}

// TestEventStreamOverflow: beyond Config.EventBuffer unread events the
// loop drops the arriving ones (counted) until the reader has caught up;
// Next reports the gap once, where it is, and the stream goes on.
func TestEventStreamOverflow(t *testing.T) {
	ctx := testCtx(t)
	c := loopbackServer(t, cluster.Config{EventBuffer: 2})
	a, b := loopbackCall(t, ctx, c)
	st, err := b.Events(ctx, "DTMF")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sendDigits(t, ctx, c, a, "1234")
	eventually(t, "two digits dropped", func() bool { return c.Counters().EventsDropped == 2 })
	var got []string
	for range 3 {
		ev, err := st.Next(ctx)
		switch {
		case errors.Is(err, cluster.ErrEventsDropped):
			got = append(got, "gap")
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, ev.Get("DTMF-Digit"))
		}
	}
	sendDigits(t, ctx, c, a, "5")
	ev, err := st.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, ev.Get("DTMF-Digit"))
	if fmt.Sprint(got) != "[1 2 gap 5]" {
		t.Fatalf("stream gave %v, want [1 2 gap 5]", got)
	}
}

// TestEventStreamEnds: a stream ends at hang-up (after its buffered
// events) for events that cannot follow it, at Close, and with the ctx it
// was opened with; it cannot be opened on a hung-up session.
func TestEventStreamEnds(t *testing.T) {
	ctx := testCtx(t)
	c := loopbackServer(t, cluster.Config{})

	a, b := loopbackCall(t, ctx, c)
	dtmf, err := b.Events(ctx, "DTMF")
	if err != nil {
		t.Fatal(err)
	}
	hangup, err := b.Events(ctx, "CHANNEL_HANGUP_COMPLETE")
	if err != nil {
		t.Fatal(err)
	}
	sendDigits(t, ctx, c, a, "9")
	eventually(t, "the digit", func() bool { return dtmf.Buffered() == 1 })
	if err := b.Hangup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if ev, err := dtmf.Next(ctx); err != nil || ev.Get("DTMF-Digit") != "9" {
		t.Fatalf("after hang-up: %v %v, want the buffered digit", ev, err)
	}
	if _, err := dtmf.Next(ctx); !errors.Is(err, cluster.ErrHungUp) {
		t.Fatalf("then %v, want ErrHungUp", err)
	}
	if ev, err := hangup.Next(ctx); err != nil || ev.Key != "CHANNEL_HANGUP_COMPLETE" {
		t.Fatalf("hang-up stream: %v %v, want CHANNEL_HANGUP_COMPLETE", ev, err)
	}
	eventually(t, "the session gone", func() bool { return c.Session(b.UUID()) == nil })
	if _, err := hangup.Next(ctx); !errors.Is(err, cluster.ErrHungUp) {
		t.Fatalf("hang-up stream after destroy: %v, want ErrHungUp", err)
	}
	if _, err := b.Events(ctx, "DTMF"); !errors.Is(err, cluster.ErrHungUp) {
		t.Fatalf("opening on a gone session: %v, want ErrHungUp", err)
	}

	_, b = loopbackCall(t, ctx, c)
	closed, err := b.Events(ctx, "DTMF")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	closed.Close() // idempotent
	if _, err := closed.Next(ctx); !errors.Is(err, cluster.ErrStreamClosed) {
		t.Fatalf("closed: %v, want ErrStreamClosed", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	scoped, err := b.Events(sctx, "DTMF")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := scoped.Next(ctx); !errors.Is(err, cluster.ErrStreamClosed) {
		t.Fatalf("ctx done: %v, want ErrStreamClosed", err)
	}
}
