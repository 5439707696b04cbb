package dialer

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// Every uuid pushed is taken by exactly one worker, in the order pushed
// when one worker takes them, and next ends with its ctx.
func TestHangupQueue(t *testing.T) {
	var q hangupQueue
	q.init()
	ctx, cancel := context.WithCancel(context.Background())
	const n = 1000
	var mu sync.Mutex
	taken := map[string]int{}
	var workers sync.WaitGroup
	for range 4 {
		workers.Go(func() {
			for {
				id, ok := q.next(ctx)
				if !ok {
					return
				}
				mu.Lock()
				taken[id]++
				mu.Unlock()
			}
		})
	}
	for i := range n {
		q.push(strconv.Itoa(i))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := len(taken)
		mu.Unlock()
		if got == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	workers.Wait()
	if len(taken) != n {
		t.Fatalf("%d of %d uuids taken", len(taken), n)
	}
	for id, k := range taken {
		if k != 1 {
			t.Fatalf("uuid %s taken %d times", id, k)
		}
	}
	var one hangupQueue
	one.init()
	one.push("a")
	one.push("b")
	for _, want := range []string{"a", "b"} {
		if id, ok := one.next(context.Background()); !ok || id != want {
			t.Fatalf("next: %q %v, want %q", id, ok, want)
		}
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, ok := one.next(done); ok {
		t.Fatal("next on an empty queue with its ctx ended did not end")
	}
}

// A hang-up that finds its call already gone ("-ERR No such channel!", as
// FreeSWITCH answers uuid_kill for a uuid it does not have) is not worth a
// warning; one that cannot be sent is.
func TestSendHangupWarnings(t *testing.T) {
	srv := fsemu.RunT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cluster.Dial(ctx, srv.Addr(), cluster.Config{NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	o := &Originator{log: slog.New(slog.NewTextHandler(&logs, nil))}
	s := &server{c: c, addr: srv.Addr()}
	o.sendHangup(ctx, s, "0badc0de-0000-4000-8000-000000000000")
	if logs.Len() != 0 {
		t.Errorf("a hang-up of a call already gone logged: %s", logs.String())
	}
	c.Close()
	o.sendHangup(ctx, s, "0badc0de-0000-4000-8000-000000000001")
	if !strings.Contains(logs.String(), "uuid_kill failed") {
		t.Errorf("a hang-up that could not be sent logged %q", logs.String())
	}
}
