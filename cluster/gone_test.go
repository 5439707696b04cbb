package cluster_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// warnLog is a slog handler keeping the messages of warnings and errors.
type warnLog struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnLog) Enabled(_ context.Context, l slog.Level) bool { return true }
func (w *warnLog) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnLog) WithGroup(string) slog.Handler                { return w }
func (w *warnLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	w.mu.Lock()
	w.msgs = append(w.msgs, b.String())
	w.mu.Unlock()
	return nil
}

func (w *warnLog) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// A command for a call the server no longer has (a hang-up crossed it) is
// no failure: queued, it is neither logged as a warning nor counted in
// CommandsFailed; waited for, it fails with ErrHungUp (wrapping the
// server's reply). Both replies FreeSWITCH gives are covered: sendmsg's
// "-ERR invalid session id" and uuid_kill's "-ERR No such channel!".
func TestCommandForCallAlreadyGone(t *testing.T) {
	n := fsemu.NewNetwork()
	s1 := fsemu.RunT(t, fsemu.Config{Network: n})
	s2 := fsemu.RunT(t, fsemu.Config{Network: n})
	logs := &warnLog{}
	ctx := testCtx(t)
	pool, err := cluster.NewPool(ctx, []string{s1.Addr(), s2.Addr()}, cluster.Config{Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	c1, c2 := pool.Clients()[0], pool.Clients()[1]
	id := call(t, ctx, c1, s2.SIPAddr(), "gone")
	eventually(t, "call up", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	far := pool.Call(id).Last()
	if err := pool.Call(id).First().Hangup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "call ended", func() bool { return pool.Call(id) == nil })
	if _, ok := s2.Channel(far.UUID()); ok {
		t.Fatal("far leg still on its server")
	}

	// queued: sent, refused, quiet
	if err := far.Queue().Execute("playback", "silence_stream://100"); err != nil {
		t.Fatal(err)
	}
	if err := far.Queue().Hangup(""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "queued commands sent", func() bool { return c2.Counters().Queued == 0 && c2.Conn().Stats().InFlight == 0 })
	time.Sleep(50 * time.Millisecond) // the sender logs after the reply
	if k := c2.Counters(); k.CommandsFailed != 0 {
		t.Errorf("CommandsFailed %d for commands on a call already gone", k.CommandsFailed)
	}

	// waited for: ErrHungUp, with the server's reply
	for _, tc := range []struct {
		name  string
		run   func() error
		reply string
	}{
		{"sendmsg", func() error { return far.Execute(ctx, "playback", "silence_stream://100") }, "invalid session id"},
		{"uuid_kill", func() error { return far.Hangup(ctx, "") }, "No such channel"},
	} {
		err := tc.run()
		if !errors.Is(err, cluster.ErrHungUp) || !strings.Contains(err.Error(), tc.reply) {
			t.Errorf("%s on a call already gone: %v, want ErrHungUp with %q", tc.name, err, tc.reply)
		}
	}
	if w := logs.all(); len(w) > 0 {
		t.Errorf("warnings for commands on a call already gone: %q", w)
	}
}
