package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
)

// recorder keeps, per session, the commands the server ran for it (from
// BACKGROUND_JOB's Job-Command and from CHANNEL_EXECUTE) and its events.
type recorder struct {
	mu   sync.Mutex
	cmds []string
	evs  map[string][]string
}

func (r *recorder) observe(ev *cluster.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev.Key {
	case "BACKGROUND_JOB":
		r.cmds = append(r.cmds, strings.TrimSpace(ev.Get("Job-Command")+" "+ev.Get("Job-Command-Arg"))+" => "+strings.TrimSpace(ev.Body))
	case "CHANNEL_EXECUTE":
		r.cmds = append(r.cmds, "exec "+ev.Get("Application")+"("+ev.Get("Application-Data")+")")
	}
	if ev.Session != nil {
		r.evs[ev.Session.UUID()] = append(r.evs[ev.Session.UUID()], ev.Key)
	}
}

func (r *recorder) has(cmd string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.cmds {
		if strings.HasPrefix(c, cmd) {
			return true
		}
	}
	return false
}

func (r *recorder) sawEvent(uuid, key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.evs[uuid] {
		if k == key {
			return true
		}
	}
	return false
}

func (r *recorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.cmds, "\n")
}

func TestSessionMethods(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	callee := pool.Clients()[1]
	rec := &recorder{evs: map[string][]string{}}
	callee.Observe(rec.observe)
	if err := callee.Subscribe(ctx, "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "PLAYBACK_START", "PLAYBACK_STOP",
		"RECORD_START", "RECORD_STOP", "DTMF", "CHANNEL_PARK", "CHANNEL_HANGUP"); err != nil {
		t.Fatal(err)
	}
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "methods")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	s := pool.Call(id).Last()
	u := s.UUID()
	dir := t.TempDir()
	rec1, rec2 := filepath.Join(dir, "uuid_record.wav"), filepath.Join(dir, "record_session.wav")

	tests := []struct {
		name  string
		do    func(ctx context.Context) error
		cmd   string // prefix of the recorded command
		event string // an event the command must cause on the session ("" = none checked)
	}{
		{"Answer", s.Answer, "uuid_answer " + u + " => +OK", "CHANNEL_ANSWER"},
		{"SetVar", func(ctx context.Context) error { return s.SetVar(ctx, "x", "a b") }, "uuid_setvar " + u + " x a b => +OK", ""},
		{"SetVars", func(ctx context.Context) error { return s.SetVars(ctx, map[string]string{"p": "1", "q": "2"}) }, "uuid_setvar_multi " + u + " p=1;q=2 => +OK", ""},
		{"UnsetVar", func(ctx context.Context) error { return s.UnsetVar(ctx, "p") }, "uuid_setvar " + u + " p => +OK", ""},
		{"Playback", func(ctx context.Context) error {
			// waits until played: its PLAYBACK_STOP came first
			res, err := s.Playback(ctx, cluster.PlaybackOptions{}, "silence_stream://200")
			if err == nil && (!rec.sawEvent(u, "PLAYBACK_STOP") || res.Status != "done" || res.Response != "FILE PLAYED" || res.Samples != 1600) {
				err = fmt.Errorf("returned %+v before its end (PLAYBACK_STOP seen: %v)", res, rec.sawEvent(u, "PLAYBACK_STOP"))
			}
			return err
		}, "exec playback(silence_stream://200)", "PLAYBACK_START"},
		{"Playback endless with params, queued", func(ctx context.Context) error {
			return s.Queue().Playback(cluster.PlaybackOptions{Endless: true, Params: map[string]string{"loops": "-1"}}, "tone_stream://%(251,0,1004)")
		}, "exec endless_playback({loops=-1}tone_stream://%(251,0,1004))", ""},
		{"BreakMedia", func(ctx context.Context) error { return s.BreakMedia(ctx, true) }, "uuid_break " + u + " all => +OK", "PLAYBACK_STOP"},
		{"Broadcast", func(ctx context.Context) error { return s.Broadcast(ctx, "silence_stream://100", "aleg") }, "uuid_broadcast " + u + " silence_stream://100 aleg => +OK", ""},
		{"SendDTMF", func(ctx context.Context) error { return s.SendDTMF(ctx, "12#", 100*time.Millisecond) }, "uuid_send_dtmf " + u + " 12#@100 => +OK", ""},
		{"Record start", func(ctx context.Context) error { return s.Record(ctx, "start", rec1, 0) }, "uuid_record " + u + " start " + rec1 + " => +OK", "RECORD_START"},
		{"Record stop", func(ctx context.Context) error { return s.Record(ctx, "stop", rec1, 0) }, "uuid_record " + u + " stop " + rec1 + " => +OK", "RECORD_STOP"},
		{"StartRecord", func(ctx context.Context) error { return s.StartRecord(ctx, rec2) }, "exec record_session(" + rec2 + ")", ""},
		{"StopRecord", func(ctx context.Context) error { return s.StopRecord(ctx, rec2) }, "exec stop_record_session(" + rec2 + ")", ""},
		{"Mute", func(ctx context.Context) error { return s.Mute(ctx, "") }, "uuid_audio " + u + " start write mute 1 => +OK", ""},
		{"Unmute", func(ctx context.Context) error { return s.Unmute(ctx, "") }, "uuid_audio " + u + " start write mute 0 => +OK", ""},
		{"Echo", s.Echo, "exec echo()", ""},
		{"Park", s.Park, "uuid_park " + u + " => +OK", "CHANNEL_PARK"},
		{"SchedHangup", func(ctx context.Context) error { return s.SchedHangup(ctx, time.Hour, "") }, "sched_hangup +3600 " + u + " NORMAL_CLEARING => +OK", ""},
		{"ClearTasks", s.ClearTasks, "sched_del " + u + " => +OK", ""},
		{"SchedDTMF", func(ctx context.Context) error { return s.SchedDTMF(ctx, time.Second, "9") }, "sched_api +1 " + u + " uuid_send_dtmf " + u + " 9 =>", ""},
		{"Execute", func(ctx context.Context) error { return s.Execute(ctx, "respond", "180") }, "exec respond(180)", ""},
		{"Hangup", func(ctx context.Context) error { return s.Hangup(ctx, "USER_BUSY") }, "uuid_kill " + u + " USER_BUSY => +OK", "CHANNEL_HANGUP"},
	}
	for _, tt := range tests {
		if err := tt.do(ctx); err != nil {
			t.Fatalf("%s: %v\nrecorded:\n%s", tt.name, err, rec.dump())
		}
		deadline := time.Now().Add(3 * time.Second)
		for !(rec.has(tt.cmd) && (tt.event == "" || rec.sawEvent(u, tt.event))) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: want command %q and event %q\nrecorded:\n%s\nevents: %v", tt.name, tt.cmd, tt.event, rec.dump(), rec.evs[u])
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if s.HangupCause() != "USER_BUSY" {
		t.Fatalf("cause %q", s.HangupCause())
	}
}

func TestSessionRejectsUnsafeArguments(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "unsafe")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	s := pool.Call(id).Last()
	for name, err := range map[string]error{
		"setvar newline": s.SetVar(ctx, "x", "a\nb"),
		"setvar name":    s.SetVar(ctx, "bad name", "v"),
		"dtmf":           s.SendDTMF(ctx, "1 2", 0),
		"record action":  s.Record(ctx, "explode", "/tmp/x", 0),
		"execute":        s.Execute(ctx, "playback", "x\r\nsendmsg"),
		"playback none":  playbackErr(s.Playback(ctx, cluster.PlaybackOptions{})),
		"hupall value":   pool.Clients()[1].Hupall(ctx, "", "sip_h_X-switchio_app", "unsafe other"),
		"hupall empty":   pool.Clients()[1].Hupall(ctx, "", "sip_h_X-switchio_app", ""),
		"hupall cause":   pool.Clients()[1].Hupall(ctx, "NORMAL CLEARING", "", ""),
	} {
		if err == nil || !strings.Contains(err.Error(), "cannot be sent safely") {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if s.HungUp() {
		t.Fatal("a refused command hung the call up")
	}
}

// TestClearTasksCancelsScheduledDTMF: SchedDTMF's task sits in the
// channel's scheduler group, so ClearTasks cancels it as it does a
// scheduled hang-up.
func TestClearTasksCancelsScheduledDTMF(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	caller := pool.Clients()[0]
	var mu sync.Mutex
	var digits string
	caller.Observe(func(ev *cluster.Event) {
		if ev.Key == "DTMF" {
			mu.Lock()
			digits += ev.Get("DTMF-Digit")
			mu.Unlock()
		}
	})
	if err := caller.Subscribe(ctx, "DTMF"); err != nil {
		t.Fatal(err)
	}
	got := func() string { mu.Lock(); defer mu.Unlock(); return digits }
	id := call(t, ctx, caller, s2.SIPAddr(), "sched-dtmf")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	s := pool.Call(id).Last()
	if err := s.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	// kept: the digit reaches the far leg
	if err := s.SchedDTMF(ctx, time.Second, "1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "scheduled digit", func() bool { return got() == "1" })
	// cleared: it never does
	if err := s.SchedDTMF(ctx, time.Second, "2"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearTasks(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if d := got(); d != "1" {
		t.Fatalf("digits %q after ClearTasks, want only the first", d)
	}
}

func playbackErr(_ cluster.PlaybackResult, err error) error { return err }

// Playback waits for its end and says how it ended: a file not found is
// ErrPlaybackFailed with the server's response; an endless play broken
// by BreakMedia returns "break" with what it played.
func TestPlaybackWaits(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "playback")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	s := pool.Call(id).Last()
	res, err := s.Playback(ctx, cluster.PlaybackOptions{}, filepath.Join(t.TempDir(), "missing.wav"))
	if !errors.Is(err, cluster.ErrPlaybackFailed) || res.Response != "FILE NOT FOUND" {
		t.Fatalf("missing file: %+v, %v; want FILE NOT FOUND, ErrPlaybackFailed", res, err)
	}
	type result struct {
		res cluster.PlaybackResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := s.Playback(ctx, cluster.PlaybackOptions{Endless: true}, "tone_stream://%(251,0,1004)")
		done <- result{r, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("an endless playback returned at once: %+v, %v", r.res, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := s.BreakMedia(ctx, false); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.res.Status != "break" || r.res.Played < 200*time.Millisecond {
		t.Fatalf("broken endless playback: %+v, %v; want status break, some time played", r.res, r.err)
	}
}
