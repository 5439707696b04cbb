package dialer_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// loadRecorder is a load-aware app that answers and keeps the loads it
// is told of.
type loadRecorder struct {
	mu    sync.Mutex
	loads []appkit.Load
}

func (l *loadRecorder) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		if s := ev.Session; s != nil && s.IsInbound() && !s.Answered() {
			_ = s.Queue().Answer()
		}
	})
	return nil
}

func (l *loadRecorder) LoadChanged(ld appkit.Load) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loads = append(l.loads, ld)
}

func (l *loadRecorder) last() (appkit.Load, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loads[len(l.loads)-1], len(l.loads)
}

// An app hears the load when it is loaded and after every change of
// rate, limit or hold time (switchio's __setrate__, __setlimit__ and
// __setduration__), with the hold distribution when there is one.
func TestLoadAwareApp(t *testing.T) {
	o, _ := newDialer(t, 1, dialer.Config{Rate: 10, Limit: 20, Duration: 3 * time.Second}, fsemu.Config{}, false)
	rec := &loadRecorder{}
	if _, err := o.LoadApp(ctxT(t, 5*time.Second), "rec", 1, appkit.Shared(rec)); err != nil {
		t.Fatal(err)
	}
	if got, n := rec.last(); n != 1 || got != (appkit.Load{Rate: 10, Limit: 20, Hold: 3 * time.Second}) {
		t.Fatalf("at load: %+v (%d calls)", got, n)
	}
	steps := []struct {
		change func() error
		want   appkit.Load
	}{
		{func() error { return o.SetRate(25) }, appkit.Load{Rate: 25, Limit: 20, Hold: 3 * time.Second}},
		{func() error { return o.SetLimit(50) }, appkit.Load{Rate: 25, Limit: 50, Hold: 3 * time.Second}},
		{func() error { o.SetDuration(time.Second); return nil }, appkit.Load{Rate: 25, Limit: 50, Hold: time.Second}},
		// a distribution: its mean and itself
		{func() error { return o.SetHoldDist(dialer.HoldDist{Kind: dialer.HoldExp, Mean: 2 * time.Second}) },
			appkit.Load{Rate: 25, Limit: 50, Hold: 2 * time.Second, Dist: dialer.HoldDist{Kind: dialer.HoldExp, Mean: 2 * time.Second}}},
		{func() error { o.SetDuration(4 * time.Second); return nil }, appkit.Load{Rate: 25, Limit: 50, Hold: 4 * time.Second}},
	}
	for i, st := range steps {
		if err := st.change(); err != nil {
			t.Fatal(err)
		}
		if got, n := rec.last(); n != i+2 || got != st.want {
			t.Fatalf("change %d: %+v (%d calls), want %+v", i, got, n, st.want)
		}
	}
}

// selfEnder ends each call itself after end, marking it completed; its
// maximum hold is max.
type selfEnder struct{ end, max time.Duration }

func (s *selfEnder) MaxHold(hold time.Duration) time.Duration { return s.max }

func (s *selfEnder) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		if se := ev.Session; se != nil && se.IsInbound() && !se.Answered() {
			_ = se.Queue().Answer()
		}
	})
	r.On("CHANNEL_ANSWER", func(ctx context.Context, ev *cluster.Event) {
		se, call := ev.Session, ev.Call()
		if se == nil || call == nil || !se.IsOutbound() {
			return
		}
		time.AfterFunc(s.end, func() {
			appkit.MarkCompleted(call)
			_ = se.Queue().Hangup("NORMAL_CLEARING")
		})
	})
	return nil
}

// A self-ending app's calls are not hung up at the hold time: they end
// when the app ends them, counted completed (not dropped), with no hold
// error; the server-side guard is set at the app's maximum hold plus the
// margin.
func TestSelfEndingApp(t *testing.T) {
	var mu sync.Mutex
	var recs []dialer.CallOutcome
	cfg := dialer.Config{Rate: 20, Limit: 20, MaxOffered: 6, Duration: 100 * time.Millisecond,
		OnCall: func(c dialer.CallOutcome) { mu.Lock(); recs = append(recs, c); mu.Unlock() }}
	o, cl := newDialer(t, 1, cfg, fsemu.Config{}, false)
	if _, err := o.LoadApp(ctxT(t, 5*time.Second), "self", 1, appkit.Shared(&selfEnder{end: 600 * time.Millisecond, max: 5 * time.Second})); err != nil {
		t.Fatal(err)
	}
	cmd, err := o.OriginateCommand(cl.Server(0).Addr())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cmd, "execute_on_answer='sched_hangup +7 ALLOTTED_TIMEOUT'") {
		t.Fatalf("guard not at the app's maximum (5 s + 2 s margin): %s", cmd)
	}
	sm := run(t, o)
	if sm.Completed != 6 || sm.Dropped != 0 || sm.HoldErrorMs.Count != 0 {
		t.Fatalf("completed %d, dropped %d, hold errors %d", sm.Completed, sm.Dropped, sm.HoldErrorMs.Count)
	}
	o.Close()
	mu.Lock()
	defer mu.Unlock()
	for _, r := range recs {
		if held := r.HungUp.Sub(r.Answered); r.Hold != 0 || held < 500*time.Millisecond {
			t.Errorf("call %s: hold %v, held %v (the app ends it after 600 ms, not the 100 ms hold)", r.UUID, r.Hold, held)
		}
	}
}
