package dialer_test

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/internal/syncbuf"
)

// After Wait, every call's record has reached OnCall: Wait flushes the
// records of the calls that just ended (it used to return with 48 of 50
// delivered).
func TestWaitDeliversEveryRecord(t *testing.T) {
	for range 3 {
		var got atomic.Int64
		o, _ := newDialer(t, 1, dialer.Config{Rate: 200, Limit: 100, MaxOffered: 50, Duration: 100 * time.Millisecond,
			OnCall: func(dialer.CallOutcome) { got.Add(1) }}, fsemu.Config{}, true)
		run(t, o)
		if n := got.Load(); n != 50 {
			t.Fatalf("%d of 50 records delivered when Wait returned", n)
		}
	}
}

// The Go dialer and the dial command share their defaults (rate 50/s,
// limit 1,000: it was 30/s and 1 call in Go), and Start warns when the
// hold set times the rate exceeds the limit, which then paces the run.
func TestDefaultsAndLimitWarning(t *testing.T) {
	var logs syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	o, _ := newDialer(t, 1, dialer.Config{MaxOffered: 1, Duration: 100 * time.Millisecond, Logger: logger}, fsemu.Config{}, true)
	if st := o.Stats(); st.Rate != dialer.DefaultRate || st.Limit != dialer.DefaultLimit {
		t.Fatalf("defaults: rate %v limit %d, want %v and %d", st.Rate, st.Limit, dialer.DefaultRate, dialer.DefaultLimit)
	}
	run(t, o)
	if strings.Contains(logs.String(), "limit will pace") {
		t.Fatalf("warned for 50/s x 0.1 s under a limit of 1000:\n%s", logs.String())
	}

	o, _ = newDialer(t, 1, dialer.Config{Rate: 10, Limit: 5, MaxOffered: 1, Duration: time.Second, Logger: logger},
		fsemu.Config{}, true)
	run(t, o)
	if !strings.Contains(logs.String(), "limit will pace the run") || !strings.Contains(logs.String(), "needs=10 limit=5") {
		t.Fatalf("no warning for 10/s x 1 s over a limit of 5:\n%s", logs.String())
	}
}
