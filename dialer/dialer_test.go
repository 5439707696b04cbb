package dialer_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/apps/tone"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newPool starts a pool over an emulated cluster.
func newPool(t *testing.T, cl *fsemu.Cluster) *cluster.Pool {
	t.Helper()
	var addrs []string
	for _, s := range cl.Servers {
		addrs = append(addrs, s.Addr())
	}
	pool, err := cluster.NewPool(ctxT(t, 10*time.Second), addrs, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

// newDialer starts an n-server emulated cluster, a pool over it and an
// originator; with tonePlay it loads TonePlay with weight 1.
func newDialer(t *testing.T, n int, cfg dialer.Config, emu fsemu.Config, tonePlay bool) (*dialer.Originator, *fsemu.Cluster) {
	t.Helper()
	cl := fsemu.RunClusterT(t, n, emu)
	pool := newPool(t, cl)
	ctx := ctxT(t, 10*time.Second)
	o, err := dialer.New(ctx, pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	if err := o.Setup(ctx, dialer.Settings{}); err != nil {
		t.Fatal(err)
	}
	if tonePlay {
		if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
			t.Fatal(err)
		}
	}
	return o, cl
}

func run(t *testing.T, o *dialer.Originator) summary.Run {
	t.Helper()
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.Wait(ctxT(t, 60*time.Second)); err != nil {
		t.Fatalf("wait: %v (%+v)", err, o.Stats())
	}
	return o.Summary()
}

// sampler polls the emulated servers for their outbound legs (one per
// call placed by the dialer: the servers call themselves) and keeps the
// peaks, total and per server: the servers' own view of concurrency.
type sampler struct {
	mu      sync.Mutex
	peak    int
	perPeak []int
	stop    chan struct{}
	done    chan struct{}
}

func sample(cl *fsemu.Cluster) *sampler {
	s := &sampler{perPeak: make([]int, len(cl.Servers)), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			total := 0
			for i, srv := range cl.Servers {
				n := 0
				for _, ch := range srv.Channels() {
					if ch.Direction == "outbound" {
						n++
					}
				}
				total += n
				s.mu.Lock()
				s.perPeak[i] = max(s.perPeak[i], n)
				s.mu.Unlock()
			}
			s.mu.Lock()
			s.peak = max(s.peak, total)
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return s
}

func (s *sampler) finish() (int, []int) {
	close(s.stop)
	<-s.done
	return s.peak, s.perPeak
}

func sessionsSince(cl *fsemu.Cluster) uint64 {
	var n uint64
	for _, s := range cl.Servers {
		n += s.SessionsSinceStartup()
	}
	return n
}

func TestMaxOfferedExact(t *testing.T) {
	o, cl := newDialer(t, 2, dialer.Config{Rate: 400, Limit: 40, MaxOffered: 137, Duration: time.Second}, fsemu.Config{}, true)
	sm := run(t, o)
	if sm.Offered != 137 || sm.Answered != 137 || sm.Failed != 0 {
		t.Fatalf("offered %d answered %d failed %d, want 137/137/0 (%v)", sm.Offered, sm.Answered, sm.Failed, sm.FailedByCause)
	}
	// The servers saw exactly 137 calls of two legs, not one more.
	if n := sessionsSince(cl); n != 2*137 {
		t.Fatalf("servers created %d channels, want %d", n, 2*137)
	}
	if o.State() != dialer.Stopped {
		t.Fatalf("state %v after max offered", o.State())
	}
	if err := o.Start(); err == nil {
		t.Fatal("Start after max offered reached succeeded")
	}
	time.Sleep(300 * time.Millisecond)
	if n := sessionsSince(cl); n != 2*137 {
		t.Fatalf("servers created %d channels after the end, want %d", n, 2*137)
	}
}

func TestLimitNeverExceeded(t *testing.T) {
	o, cl := newDialer(t, 2, dialer.Config{Rate: 300, Limit: 12, MaxOffered: 90, Duration: time.Second}, fsemu.Config{}, true)
	smp := sample(cl)
	sm := run(t, o)
	peak, _ := smp.finish()
	if sm.Offered != 90 || sm.Failed != 0 {
		t.Fatalf("offered %d failed %d (%v)", sm.Offered, sm.Failed, sm.FailedByCause)
	}
	if peak > 12 || sm.PeakActive > 12 {
		t.Fatalf("servers peaked at %d calls, dialer at %d; limit 12", peak, sm.PeakActive)
	}
	if peak < 10 {
		t.Fatalf("servers peaked at %d calls: the limit was never approached", peak)
	}
	// Limited by 12 calls of ~1 s, 90 calls cannot go faster than ~12 cps.
	if sm.AchievedRate > 20 {
		t.Fatalf("achieved %.1f cps with 12 slots of 1 s", sm.AchievedRate)
	}
}

func TestPerServerCapacity(t *testing.T) {
	o, cl := newDialer(t, 2, dialer.Config{Rate: 300, Limit: 100, MaxOffered: 60, Duration: time.Second}, fsemu.Config{}, true)
	if err := o.SetServerLimit(cl.Server(0).Addr(), 2); err != nil {
		t.Fatal(err)
	}
	if err := o.SetServerLimit(cl.Server(1).Addr(), 8); err != nil {
		t.Fatal(err)
	}
	smp := sample(cl)
	sm := run(t, o)
	_, per := smp.finish()
	if sm.Offered != 60 || sm.Failed != 0 {
		t.Fatalf("offered %d failed %d", sm.Offered, sm.Failed)
	}
	if per[0] > 2 || per[1] > 8 {
		t.Fatalf("servers peaked at %v calls, caps [2 8]", per)
	}
	s0, s1 := sm.Servers[0], sm.Servers[1]
	if s0.PeakActive > 2 || s1.PeakActive > 8 {
		t.Fatalf("dialer peaks %d, %d", s0.PeakActive, s1.PeakActive)
	}
	// Calls spread by capacity: the big server takes about 4 in 5.
	if s1.Offered < 40 {
		t.Fatalf("server 1 (cap 8) got %d of 60 calls, server 0 (cap 2) %d", s1.Offered, s0.Offered)
	}
}

func TestRateAccurate(t *testing.T) {
	var mu sync.Mutex
	var recs []dialer.CallOutcome
	cfg := dialer.Config{Rate: 40, Limit: 100, MaxOffered: 81, Duration: time.Second, OnCall: func(r dialer.CallOutcome) {
		mu.Lock()
		recs = append(recs, r)
		mu.Unlock()
	}}
	o, _ := newDialer(t, 2, cfg, fsemu.Config{}, true)
	sm := run(t, o)
	o.Close()
	if sm.Answered != 81 {
		t.Fatalf("answered %d", sm.Answered)
	}
	// 81 calls at 40 cps span 2 s.
	for name, r := range map[string]float64{"offered": sm.OfferedRate, "achieved": sm.AchievedRate} {
		if math.Abs(r-40)/40 > 0.25 {
			t.Errorf("%s rate %.2f cps, want 40 ± 25%%", name, r)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(recs) != 81 {
		t.Fatalf("%d records", len(recs))
	}
	first, last := recs[0].Offered, recs[0].Offered
	for _, r := range recs {
		if r.Offered.Before(first) {
			first = r.Offered
		}
		if r.Offered.After(last) {
			last = r.Offered
		}
		if !r.OK || r.Cause != "NORMAL_CLEARING" || r.Setup <= 0 {
			t.Fatalf("record %+v", r)
		}
		// The server held the call about 1 s from answer.
		if hold := r.HungUp.Sub(r.Answered); hold < 900*time.Millisecond || hold > 3*time.Second {
			t.Fatalf("held %v", hold)
		}
	}
	if span := last.Sub(first); span < 1700*time.Millisecond || span > 3500*time.Millisecond {
		t.Fatalf("offers spanned %v, want ~2 s", span)
	}
}

func TestWeightedApps(t *testing.T) {
	o, _ := newDialer(t, 2, dialer.Config{Rate: 400, Limit: 100, MaxOffered: 40, Duration: time.Second}, fsemu.Config{}, false)
	ctx := ctxT(t, 10*time.Second)
	tp := func() cluster.App { return &tone.TonePlay{Freq: 1004} }
	a, err := o.LoadApp(ctx, "A", 3, appkit.PerServer(tp))
	if err != nil {
		t.Fatal(err)
	}
	b, err := o.LoadApp(ctx, "B", 1, appkit.PerServer(tp))
	if err != nil {
		t.Fatal(err)
	}
	if o.AppLabel(a) != "A" || o.AppLabel(b) != "B" {
		t.Fatalf("labels %q %q", o.AppLabel(a), o.AppLabel(b))
	}
	sm := run(t, o)
	if sm.CallsByApp["A"] != 30 || sm.CallsByApp["B"] != 10 || sm.Failed != 0 {
		t.Fatalf("calls by app %v failed %d, want 30/10/0", sm.CallsByApp, sm.Failed)
	}
	// The servers' side: the cluster core counts sessions per app id, from
	// the X-switchio_app_id header the legs carry (two legs per call).
	per := o.Pool().Counters().SessionsPerApp
	if per[a] != 60 || per[b] != 20 {
		t.Fatalf("sessions per app %v", per)
	}
	// Weights change live: B gets no more calls.
	if err := o.SetWeight(b, 0); err != nil {
		t.Fatal(err)
	}
	o.SetMaxOffered(60)
	sm = run(t, o)
	if sm.CallsByApp["A"] != 50 || sm.CallsByApp["B"] != 10 {
		t.Fatalf("after reweighting: %v", sm.CallsByApp)
	}
}

func TestStates(t *testing.T) {
	o, _ := newDialer(t, 1, dialer.Config{Rate: 50, Limit: 5, Duration: time.Second}, fsemu.Config{}, false)
	if !o.CheckState(dialer.Initial) {
		t.Fatalf("state %v, want INITIAL", o.State())
	}
	if err := o.Start(); !errors.Is(err, dialer.ErrNoApp) {
		t.Fatalf("Start without app: %v", err)
	}
	ctx := ctxT(t, 20*time.Second)
	if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
		t.Fatal(err)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.WaitForState(ctx, dialer.Originating); err != nil {
		t.Fatal(err)
	}
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Answered < 3 }); err != nil {
		t.Fatal(err)
	}
	o.Stop()
	if !o.CheckState(dialer.Stopped) {
		t.Fatalf("state %v after Stop", o.State())
	}
	n := o.Stats().Offered
	time.Sleep(200 * time.Millisecond)
	if o.Stats().Offered != n {
		t.Fatal("offering went on after Stop")
	}
	// Resume: Stopped -> Originating, then max offered stops it.
	o.SetMaxOffered(n + 4)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.WaitForState(ctx, dialer.Stopped); err != nil {
		t.Fatal(err)
	}
	if err := o.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if st := o.Stats(); st.Offered != n+4 || st.Active != 0 {
		t.Fatalf("stats %+v", st)
	}
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := o.WaitForState(wctx, dialer.Originating); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForState on a state that never comes: %v", err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.Start(); !errors.Is(err, dialer.ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
}

func TestHupallOnlyOwnCalls(t *testing.T) {
	o, cl := newDialer(t, 2, dialer.Config{Rate: 100, Limit: 20, Duration: time.Minute}, fsemu.Config{}, true)
	// A call outside the dialer, from server 0 to server 1: unanswered,
	// parked on server 1.
	other := "00000000-0000-4000-8000-000000000001"
	fs0 := cl.Server(0)
	if _, err := o.Pool().Clients()[0].BgAPI(ctxT(t, 5*time.Second),
		"originate {origination_uuid="+other+",originate_timeout=120}sofia/external/other@"+cl.Server(1).SIPAddr()+" &park()"); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 30*time.Second)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Answered < 20 }); err != nil {
		t.Fatal(err)
	}
	if _, ok := fs0.Channel(other); !ok {
		t.Fatal("outside call missing before hupall")
	}
	if err := o.Hupall(ctx); err != nil {
		t.Fatal(err)
	}
	if o.State() != dialer.Stopped {
		t.Fatalf("state %v after Hupall", o.State())
	}
	if err := o.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := fs0.Channel(other); !ok {
		t.Fatal("hupall hung up a call that is not the dialer's")
	}
	for _, s := range cl.Servers {
		for _, ch := range s.Channels() {
			if ch.Var("sip_h_"+cluster.HeaderAppID) != "" {
				t.Fatalf("dialer channel %s survived hupall", ch.UUID)
			}
		}
	}
	sm := o.Summary()
	if sm.Offered != sm.Answered || sm.Failed != 0 {
		t.Fatalf("summary after hupall: %+v", sm)
	}
	fs0.Hangup(other, "NORMAL_CLEARING")
}

func TestSaturationReported(t *testing.T) {
	// Each emulated server has one core and a 35 ms set-up cost per leg;
	// the servers call themselves, two legs a call: about 15 calls/s each.
	// Offering 100 calls/s over two servers saturates both, clearly enough
	// that the queue stands out under the whole suite's load on 2 cores
	// (with 25 ms it was reported in 7 s alone, not always under load).
	emu := fsemu.Config{Capacity: &fsemu.Capacity{Cores: 1, SetupCost: 35 * time.Millisecond}}
	o, _ := newDialer(t, 2, dialer.Config{Rate: 100, Limit: 2000, MaxOffered: 400, Duration: time.Second}, emu, true)
	sm := run(t, o)
	if sm.Answered != 400 {
		t.Fatalf("answered %d (%v)", sm.Answered, sm.FailedByCause)
	}
	if sm.AchievedRate > 80 || sm.OfferedRate < 90 {
		t.Fatalf("offered %.1f cps, achieved %.1f cps reported for servers that manage ~40-60 cps together", sm.OfferedRate, sm.AchievedRate)
	}
	if len(sm.Saturation) == 0 {
		t.Fatalf("no saturation reported: %+v", sm)
	}
	for _, s := range sm.Servers {
		if !s.Saturated || s.SaturatedAtCPS < 12 || s.SaturatedAtCPS > 45 {
			t.Fatalf("server %s: saturated %v at %.1f cps, want ~20", s.Addr, s.Saturated, s.SaturatedAtCPS)
		}
	}
	t.Log(strings.Join(sm.Saturation, "\n"))
}

func TestFailureCausesPerServer(t *testing.T) {
	// Server ports cap each server at 10 channels: 5 self-calls.
	emu := fsemu.Config{Capacity: &fsemu.Capacity{RTPPorts: 10}}
	o, _ := newDialer(t, 2, dialer.Config{Rate: 200, Limit: 30, MaxOffered: 60, Duration: time.Second}, emu, true)
	sm := run(t, o)
	if sm.Failed == 0 || sm.FailedByCause["DESTINATION_OUT_OF_ORDER"] != sm.Failed {
		t.Fatalf("failed %d by cause %v", sm.Failed, sm.FailedByCause)
	}
	var sum uint64
	for _, s := range sm.Servers {
		if s.FailedByCause["DESTINATION_OUT_OF_ORDER"] == 0 {
			t.Fatalf("server %s: no failures by cause: %v", s.Addr, s.FailedByCause)
		}
		sum += s.Failed
	}
	if sum != sm.Failed || sm.Answered+sm.Failed != 60 {
		t.Fatalf("per-server failures %d, total %d, answered %d", sum, sm.Failed, sm.Answered)
	}
}

func TestControllerHangup(t *testing.T) {
	var mu sync.Mutex
	var recs []dialer.CallOutcome
	cfg := dialer.Config{Rate: 100, Limit: 10, MaxOffered: 10, Duration: 300 * time.Millisecond,
		OnCall: func(r dialer.CallOutcome) { mu.Lock(); recs = append(recs, r); mu.Unlock() }}
	o, _ := newDialer(t, 1, cfg, fsemu.Config{}, true)
	sm := run(t, o)
	o.Close()
	if sm.Answered != 10 || sm.Failed != 0 {
		t.Fatalf("%+v", sm)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range recs {
		if hold := r.HungUp.Sub(r.Answered); hold < 250*time.Millisecond || hold > 2*time.Second {
			t.Fatalf("controller hang-up after %v, want ~300 ms", hold)
		}
	}
}

func TestPerCallFieldsAndOriginate(t *testing.T) {
	cfg := dialer.Config{Rate: 100, Limit: 10, MaxOffered: 4, Duration: 5 * time.Second,
		Request: originate.Request{CallerIDName: "Load Test", Headers: []originate.Var{{Name: "P-Test", Value: "x y"}},
			Vars: []originate.Var{{Name: "my_var", Value: "a=b"}}},
		PerCall: []originate.PerCall{
			originate.Cycle(originate.FieldCallerIDNumber, "111", "222"),
			originate.Cycle(originate.FieldDest, "1001", "1002"),
		}}
	o, cl := newDialer(t, 1, cfg, fsemu.Config{}, true)
	ctx := ctxT(t, 20*time.Second)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Answered < 4 }); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, ch := range cl.Server(0).Channels() {
		if ch.Direction != "outbound" {
			continue
		}
		got[ch.Var("origination_caller_id_number")+"->"+ch.Destination] = true
		if ch.Var("sip_h_P-Test") != "x y" || ch.Var("my_var") != "a=b" || ch.Var("origination_caller_id_name") != "Load Test" {
			t.Fatalf("channel vars: P-Test %q my_var %q", ch.Var("sip_h_P-Test"), ch.Var("my_var"))
		}
		if ch.Var("sip_h_"+cluster.HeaderOriginatingSession) != ch.UUID || !strings.HasPrefix(ch.Var("sip_h_"+cluster.HeaderAppID), o.ID()+"-") {
			t.Fatalf("correlation headers missing: %q %q", ch.Var("sip_h_"+cluster.HeaderOriginatingSession), ch.Var("sip_h_"+cluster.HeaderAppID))
		}
		// The controller hangs up after 5 s; the server's guard 2 s later.
		if !strings.HasPrefix(ch.Var("execute_on_answer"), "sched_hangup +7 ") {
			t.Fatalf("hold not set at originate: %q", ch.Var("execute_on_answer"))
		}
	}
	cmd, err := o.OriginateCommand(cl.Server(0).Addr())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"originate {", "origination_caller_id_number=111", "sip_h_P-Test='x y'", "execute_on_answer='sched_hangup +7 ALLOTTED_TIMEOUT'",
		"ignore_early_media=true", "sip_h_X-switchio_app=TonePlay,", "sip_h_X-switchio_app_id=" + o.ID() + "-TonePlay", "}sofia/external/1001@" + cl.Server(0).SIPAddr() + " &park()"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("originate command lacks %q:\n%s", want, cmd)
		}
	}
	if !got["111->1001"] || !got["222->1002"] || len(got) != 2 {
		t.Fatalf("per-call values %v", got)
	}
	if err := o.Hupall(ctx); err != nil {
		t.Fatal(err)
	}
	if err := o.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRampUp(t *testing.T) {
	// 0 -> 100 cps over 1 s offers 50 calls in the first second, then
	// 100 cps: 100 calls take ~1.5 s, not 1 s.
	o, _ := newDialer(t, 2, dialer.Config{Rate: 100, Limit: 200, MaxOffered: 100, Duration: time.Second, Ramp: time.Second}, fsemu.Config{}, true)
	start := time.Now()
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.WaitForState(ctxT(t, 10*time.Second), dialer.Stopped); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 1300*time.Millisecond || d > 6*time.Second {
		t.Fatalf("100 calls with a 1 s ramp to 100 cps took %v, want ~1.5 s", d)
	}
	if err := o.Wait(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
}

func TestLiveChanges(t *testing.T) {
	o, _ := newDialer(t, 1, dialer.Config{Rate: 10, Limit: 100, Duration: time.Second}, fsemu.Config{}, true)
	if got := o.Duration(); got != time.Second {
		t.Fatalf("duration %v", got)
	}
	o.SetDuration(0) // automatic: limit/rate + 5 s
	if got := o.Duration(); got != 15*time.Second {
		t.Fatalf("auto duration %v, want 15s", got)
	}
	if err := o.SetRate(50); err != nil {
		t.Fatal(err)
	}
	if got := o.Duration(); got != 7*time.Second {
		t.Fatalf("auto duration after SetRate %v, want 7s", got)
	}
	if err := o.SetRate(0); err == nil {
		t.Fatal("rate 0 accepted")
	}
	if err := o.SetLimit(0); err == nil {
		t.Fatal("limit 0 accepted")
	}
	o.SetDuration(time.Second)
	if err := o.SetRate(200); err != nil {
		t.Fatal(err)
	}
	o.SetMaxOffered(100)
	start := time.Now()
	sm := run(t, o)
	if sm.Offered != 100 || time.Since(start) > 10*time.Second {
		t.Fatalf("%+v", sm)
	}
}

// TestSetupReportsRefusingServer: a server that refuses the load-test
// settings is named with the command it refused, and the other servers are
// still set up.
func TestSetupReportsRefusingServer(t *testing.T) {
	cl := fsemu.RunClusterT(t, 2, fsemu.Config{})
	pool := newPool(t, cl)
	ctx := ctxT(t, 10*time.Second)
	o, err := dialer.New(ctx, pool, dialer.Config{Rate: 10, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	cl.Servers[1].DenyAPI("fsctl")
	err = o.Setup(ctx, dialer.Settings{VerboseEvents: true, MaxSessions: 1234})
	if err == nil {
		t.Fatal("Setup succeeded on a server that refuses fsctl")
	}
	msg := err.Error()
	for _, want := range []string{cl.Servers[1].Addr(), `"fsctl sps`, `"fsctl max_sessions`, `"fsctl verbose_events true"`, "permission denied"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, cl.Servers[0].Addr()) {
		t.Errorf("error %q names the server that accepted", msg)
	}
	cl.Servers[1].DenyAPI()
	// the settings reached the server that accepted them only
	for i, want := range []bool{true, false} {
		out, err := pool.Clients()[i].API(ctx, "fsctl max_sessions")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(out, "max sessions: 1234"); got != want {
			t.Errorf("server %d: %q", i, out)
		}
	}
	if err := o.Setup(ctx, dialer.Settings{}); err != nil {
		t.Fatalf("after allowing fsctl again: %v", err)
	}
}

func TestChangesLogged(t *testing.T) {
	o, _ := newDialer(t, 1, dialer.Config{Rate: 50, Limit: 10, MaxOffered: 0, Duration: 200 * time.Millisecond}, fsemu.Config{}, true)
	// Before the run: settings, not changes.
	if err := o.SetRate(40); err != nil {
		t.Fatal(err)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 20*time.Second)
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Offered < 5 }); err != nil {
		t.Fatal(err)
	}
	if err := o.SetRate(80); err != nil {
		t.Fatal(err)
	}
	if err := o.SetLimit(20); err != nil {
		t.Fatal(err)
	}
	o.SetDuration(time.Second)
	if err := o.SetWeight(o.AppIDs()[0], 2); err != nil {
		t.Fatal(err)
	}
	if err := o.Hupall(ctx); err != nil {
		t.Fatal(err)
	}
	_ = o.Wait(ctx)
	got := o.Summary().Changes
	want := []string{"rate=80", "limit=20", "duration=1s", "weight TonePlay=2", "hupall=this dialer's calls"}
	if len(got) != len(want) {
		t.Fatalf("changes %+v, want %v", got, want)
	}
	for i, c := range got {
		if c.Setting+"="+c.Value != want[i] || c.At <= 0 || (i > 0 && c.At < got[i-1].At) {
			t.Fatalf("change %d: %+v, want %s after the start, in order", i, c, want[i])
		}
	}
}
