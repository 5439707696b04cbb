package appkit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/tone"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/originate"
)

func TestSyncCall(t *testing.T) {
	pool, _, s2 := newPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := appkit.NewManager(pool).Load(ctx, "tone", appkit.Shared(&tone.TonePlay{Freq: 1004})); err != nil {
		t.Fatal(err)
	}
	caller := pool.Clients()[0]
	tests := []struct {
		name    string
		appID   string
		dest    string
		timeout time.Duration
		until   func(*cluster.Call) bool
		wantErr error  // errors.Is target
		errText string // substring
	}{
		{name: "answered", appID: "tone", dest: "1000@" + s2.SIPAddr(), timeout: 5 * time.Second},
		{name: "both legs answered", appID: "tone", dest: "1000@" + s2.SIPAddr(), timeout: 5 * time.Second,
			until: func(c *cluster.Call) bool { return c.Len() == 2 && c.First().Answered() && c.Last().Answered() }},
		// no app answers calls of this id: the wait runs out
		{name: "timeout", appID: "nobody", dest: "1000@" + s2.SIPAddr(), timeout: 300 * time.Millisecond, wantErr: context.DeadlineExceeded},
		{name: "originate fails", appID: "tone", dest: "1000@127.0.0.1:1", timeout: 5 * time.Second, errText: "sync call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cctx, ccancel := context.WithTimeout(ctx, tt.timeout)
			defer ccancel()
			start := time.Now()
			call, err := appkit.SyncCall(cctx, caller, originate.Request{Dest: tt.dest}, tt.appID, tt.until)
			switch {
			case tt.wantErr != nil || tt.errText != "":
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("got %v, want %v %q", err, tt.wantErr, tt.errText)
				}
				if tt.wantErr != nil && time.Since(start) > tt.timeout+time.Second {
					t.Fatalf("returned after %v", time.Since(start))
				}
			case err != nil:
				t.Fatal(err)
			default:
				if !call.First().Answered() || call.First().AppID() != tt.appID || !call.First().IsOutbound() {
					t.Fatalf("call %s: first leg answered %v app %q", call.Key(), call.First().Answered(), call.First().AppID())
				}
			}
			if call != nil {
				_ = call.Hangup(ctx, "")
			}
		})
	}
	eventually(t, func() bool { return pool.ActiveCalls() == 0 })
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
