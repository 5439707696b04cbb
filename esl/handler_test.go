package esl

import (
	"errors"
	"sync"
	"testing"

	"github.com/switchio/switchio/esl/wire"
)

// An EventHandler gets every event in wire order on the reader, replies
// still reach their callers, Events() stays empty, and the handler's error
// ends the connection with that error.
func TestEventHandler(t *testing.T) {
	stop := errors.New("handler: enough")
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api first")
		for i := range 50 {
			p.event(wire.FormatPlain, plainEvent("HEARTBEAT", i))
		}
		p.api("+OK first\n")
		p.expect("api second")
		p.event(wire.FormatPlain, plainEvent("CUSTOM", 50))
		p.api("+OK second\n")
		p.read()
	})
	var mu sync.Mutex
	var seqs []uint64
	c := dialPeer(t, tp, Config{EventHandler: func(ev *Event) error {
		mu.Lock()
		defer mu.Unlock()
		seqs = append(seqs, ev.Sequence())
		if ev.Name() == "CUSTOM" {
			return stop
		}
		return nil
	}})
	if got, err := c.API(testCtx(t), "first"); err != nil || got != "+OK first\n" {
		t.Fatalf("api first: %q %v", got, err)
	}
	mu.Lock()
	if len(seqs) != 50 {
		t.Errorf("%d events handled before the reply that followed them, want 50", len(seqs))
	}
	mu.Unlock()
	// The handler's error ends the connection before the second reply.
	if _, err := c.API(testCtx(t), "second"); !errors.Is(err, stop) {
		t.Fatalf("api second: %v, want the handler's error", err)
	}
	<-c.Done()
	if !errors.Is(c.Err(), stop) {
		t.Fatalf("Err = %v, want the handler's error", c.Err())
	}
	if _, ok := <-c.Events(); ok {
		t.Fatal("an event reached Events() with a handler set")
	}
	for i, s := range seqs {
		if s != uint64(i) {
			t.Fatalf("event %d had sequence %d: out of order", i, s)
		}
	}
	if len(seqs) != 51 {
		t.Fatalf("handled %d events, want 51", len(seqs))
	}
}
