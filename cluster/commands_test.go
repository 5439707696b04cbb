package cluster_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
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
