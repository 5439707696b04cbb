package cluster_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/fsemu"
)

// TestCommandSyntax checks command lines whose argument order differs from
// the usual "<cmd> <uuid> <args>", from the BACKGROUND_JOB the server
// reports for each (whether or not the server implements the command).
func TestCommandSyntax(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	callee := pool.Clients()[1]
	var mu sync.Mutex
	var jobs []string
	callee.Observe(func(ev *cluster.Event) {
		if ev.Key == "BACKGROUND_JOB" {
			mu.Lock()
			jobs = append(jobs, ev.Get("Job-Command")+" "+ev.Get("Job-Command-Arg"))
			mu.Unlock()
		}
	})
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "syntax")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	s := pool.Call(id).Last()
	u := s.UUID()
	tests := []struct {
		name string
		do   func(ctx context.Context) error
		want string
	}{
		// FreeSWITCH: uuid_media [off] <uuid>
		{"BypassMedia on", func(ctx context.Context) error { return s.BypassMedia(ctx, true) }, "uuid_media off " + u},
		{"BypassMedia off", func(ctx context.Context) error { return s.BypassMedia(ctx, false) }, "uuid_media " + u},
		// a delay already past means now, not "+-4"
		{"SchedHangup past", func(ctx context.Context) error { return s.SchedHangup(ctx, -5*time.Second, "") }, "sched_hangup +0 " + u + " NORMAL_CLEARING"},
	}
	for _, tt := range tests {
		_ = tt.do(ctx) // the emulator may not implement the command
		eventually(t, tt.name+" job", func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, j := range jobs {
				if strings.TrimSpace(j) == tt.want {
					return true
				}
			}
			return false
		})
	}
}

// TestScheduledCommandsCountedAsJobs checks that every Session command sent
// as a background job counts in Counters.Jobs, the scheduled ones included.
func TestScheduledCommandsCountedAsJobs(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "jobs")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	s := pool.Call(id).Last()
	callee := s.Client()
	for name, do := range map[string]func() error{
		"SchedHangup": func() error { return s.SchedHangup(ctx, time.Hour, "") },
		"Answer":      func() error { return s.Answer(ctx) },
	} {
		before := callee.Counters().Jobs
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := callee.Counters().Jobs; got != before+1 {
			t.Errorf("%s: Jobs %d -> %d, want one more", name, before, got)
		}
	}
}

// TestJobsCountedForThisClientOnly: FreeSWITCH sends every BACKGROUND_JOB to
// every connection subscribed to it; only the jobs this client started
// count in Jobs and JobsFailed.
func TestJobsCountedForThisClientOnly(t *testing.T) {
	srv := fsemu.RunT(t)
	ctx := testCtx(t)
	c, err := cluster.Dial(ctx, srv.Addr(), cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seen := make(chan string, 16)
	c.Observe(func(ev *cluster.Event) {
		if ev.Key == "BACKGROUND_JOB" {
			select {
			case seen <- ev.JobUUID():
			default:
			}
		}
	})
	other, err := esl.Dial(ctx, srv.Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// another controller's failing job: seen, not counted
	job, err := other.BgAPI(ctx, "no_such_command")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = job.Wait(ctx)
	for id := ""; id != job.UUID; {
		select {
		case id = <-seen:
		case <-ctx.Done():
			t.Fatal("other connection's job not seen")
		}
	}
	if k := c.Counters(); k.Jobs != 0 || k.JobsFailed != 0 {
		t.Fatalf("another connection's job counted: jobs %d failed %d", k.Jobs, k.JobsFailed)
	}
	// this client's own jobs, one failing
	for _, cmd := range []string{"status", "no_such_command"} {
		j, err := c.BgAPI(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = j.Wait(ctx)
	}
	eventually(t, "own failed job counted", func() bool { return c.Counters().JobsFailed == 1 })
	if k := c.Counters(); k.Jobs != 2 {
		t.Fatalf("jobs %d", k.Jobs)
	}
}

// TestPlaybackRejectsUnsafeParts: values that would split the parameter
// block or the file_string list are refused, not sent mangled.
func TestPlaybackRejectsUnsafeParts(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	id := call(t, ctx, pool.Clients()[0], s2.SIPAddr(), "unsafe")
	eventually(t, "two legs", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	s := pool.Call(id).Last()
	tests := []struct {
		name  string
		opts  cluster.PlaybackOptions
		files []string
	}{
		{"param value with comma", cluster.PlaybackOptions{Params: map[string]string{"a": "1,b=2"}}, []string{"x.wav"}},
		{"param value with brace", cluster.PlaybackOptions{Params: map[string]string{"a": "1}"}}, []string{"x.wav"}},
		{"param name with equals", cluster.PlaybackOptions{Params: map[string]string{"a=b": "1"}}, []string{"x.wav"}},
		{"file with ! in a list", cluster.PlaybackOptions{}, []string{"a!b.wav", "c.wav"}},
		{"empty file", cluster.PlaybackOptions{}, []string{""}},
	}
	for _, tt := range tests {
		if _, err := s.Playback(ctx, tt.opts, tt.files...); !errors.Is(err, cluster.ErrBadArgument) {
			t.Errorf("%s: got %v, want ErrBadArgument", tt.name, err)
		}
	}
}
