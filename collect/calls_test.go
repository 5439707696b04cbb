package collect_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/collect"
	"github.com/switchio/switchio/measure/summary"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// loadTest runs a dial over n emulated servers with a CDR attached and
// returns the records, the dialer's summary and the aggregated figures.
func loadTest(t *testing.T, n int, cfg dialer.Config, emu fsemu.Config, after func(*fsemu.Cluster, *dialer.Originator)) ([]measure.Record, summary.Run, measure.MetricsSummary) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl := fsemu.RunClusterT(t, n, emu)
	var addrs []string
	for _, s := range cl.Servers {
		addrs = append(addrs, s.Addr())
	}
	pool, err := cluster.NewPool(ctx, addrs, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var mu sync.Mutex
	var recs []measure.Record
	agg := measure.NewAggregator(time.Time{})
	cdr := collect.NewCallRecorder(collect.CallRecorderConfig{LoadTest: true, OnRecord: func(r measure.Record) {
		mu.Lock()
		recs = append(recs, r)
		agg.Add(r)
		mu.Unlock()
	}})
	if err := cdr.Attach(ctx, pool); err != nil {
		t.Fatal(err)
	}
	cfg.OnCall = func(r dialer.CallOutcome) { cdr.Complete(r.Facts()) }
	o, err := dialer.New(ctx, pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
		t.Fatal(err)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if after != nil {
		after(cl, o)
	}
	if err := o.Wait(ctx); err != nil {
		t.Fatalf("wait: %v (%+v)", err, o.Stats())
	}
	o.Close()
	cdr.Close()
	mu.Lock()
	defer mu.Unlock()
	agg.SetClockOffsets(cdr.ClockOffsets())
	agg.SetClockResolutions(cdr.ClockResolutions())
	return recs, o.Summary(), agg.Summary()
}

func near(got, want, tol time.Duration) bool { return got >= want-tol && got <= want+tol }

// Against fsemu's far-end rules every latency matches its delay: ring
// 300 ms (180), then early media 400 ms (183), then answer. Server
// timestamps step ~20 ms on a real FreeSWITCH: the tolerance is 25 ms, on
// the median over the calls (the emulator's timers run on the real clock,
// shared with the other tests under -race); no call is early, none more
// than 200 ms late.
func TestCallRecorderLatenciesMatchFarEnd(t *testing.T) {
	const tol = 25 * time.Millisecond
	cfg := dialer.Config{Rate: 20, Limit: 100, MaxOffered: 20, Duration: 500 * time.Millisecond}
	emu := fsemu.Config{Inbound: fsemu.Inbound{RingTime: 300 * time.Millisecond, EarlyMedia: 400 * time.Millisecond, Action: "answer"}}
	recs, sm, ms := loadTest(t, 1, cfg, emu, nil)
	if len(recs) != 20 || sm.Offered != 20 || ms.Offered != 20 || ms.Completed != sm.Completed {
		t.Fatalf("%d records, dialer offered %d completed %d, figures offered %d completed %d", len(recs), sm.Offered, sm.Completed, ms.Offered, ms.Completed)
	}
	gaps := map[string][]time.Duration{}
	for _, r := range recs {
		if r.Outcome != "completed" || r.CallerCreate.IsZero() || r.CalleeCreate.IsZero() || r.CalleeServer == "" {
			t.Fatalf("record %+v", r)
		}
		gaps["create -> 180"] = append(gaps["create -> 180"], r.CallerRinging.Sub(r.CallerCreate))
		gaps["180 -> 183"] = append(gaps["180 -> 183"], r.CallerEarlyMedia.Sub(r.CallerRinging))
		gaps["183 -> answer"] = append(gaps["183 -> answer"], r.CallerAnswer.Sub(r.CallerEarlyMedia))
		if r.BillMsec == nil || r.BillSec == nil || r.ProgressSec == nil || r.SIPCallID == "" || r.SIPTermStatus == "" || r.Q850Cause == nil {
			t.Errorf("%s: call-detail values missing: %+v", r.CallID, r)
		}
		if r.JobLaunch.IsZero() || r.CallerReqOriginate.Before(r.JobLaunch) || r.HoldMs != 500 || r.App != "TonePlay" {
			t.Errorf("%s: dialer facts %+v", r.CallID, r)
		}
		if r.HangupBy != "switchio" {
			t.Errorf("%s: hung up by %q", r.CallID, r.HangupBy)
		}
	}
	for name, want := range map[string]time.Duration{"create -> 180": 0, "180 -> 183": 300 * time.Millisecond, "183 -> answer": 400 * time.Millisecond} {
		g := gaps[name]
		sort.Slice(g, func(i, j int) bool { return g[i] < g[j] })
		if med := g[len(g)/2]; !near(med, want, tol) || g[0] < want-tol || g[len(g)-1] > want+200*time.Millisecond {
			t.Errorf("%s: median %v (min %v, max %v), want %v", name, med, g[0], g[len(g)-1], want)
		}
	}
	setup := ms.Latencies[measure.MetricCallSetupLatency]
	if setup.Count != 20 || setup.P50 < 700-25 || setup.P50 > 700+60 {
		t.Fatalf("call_setup_latency %+v, want ~700 ms", setup)
	}
	if pdd := ms.Latencies[measure.MetricPDD]; pdd.Count != 20 || pdd.P50 > 25 || pdd.Max > 200 {
		t.Fatalf("pdd %+v", pdd)
	}
	if ms.Ratios[measure.MetricASR] != 1 || ms.Ratios[measure.MetricDropRate] != 0 {
		t.Fatalf("ratios %v", ms.Ratios)
	}
	// 20 calls offered at 20 calls/s: avg_call_rate = 19 gaps / 0.95 s.
	if r := ms.Ratios[measure.MetricAvgCallRate]; r < 18 || r > 22 {
		t.Fatalf("avg_call_rate %v, want ~20", r)
	}
}

// One record per offered call when a server dies mid-run, and the
// figures agree with the dialer's outcome table.
func TestCallRecorderOneRecordPerOfferedCall(t *testing.T) {
	cfg := dialer.Config{Rate: 200, Limit: 1000, MaxOffered: 300, Duration: time.Second, ServerTimeout: 300 * time.Millisecond}
	kill := func(cl *fsemu.Cluster, o *dialer.Originator) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Answered < 60 })
		cl.Server(1).Kill()
	}
	recs, sm, ms := loadTest(t, 2, cfg, fsemu.Config{}, kill)
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.CallID] {
			t.Fatalf("two records for %s", r.CallID)
		}
		seen[r.CallID] = true
	}
	if uint64(len(recs)) != sm.Offered || ms.Offered != sm.Offered || ms.Answered != sm.Answered || ms.Failed != sm.Failed ||
		ms.Completed != sm.Completed || ms.Dropped != sm.Dropped || ms.Abandoned != sm.Abandoned {
		t.Fatalf("records %d; dialer %+v; figures %+v", len(recs), sm, ms.Figures)
	}
	if ms.Abandoned == 0 {
		t.Fatalf("no call abandoned with a server killed: %+v", ms.Figures)
	}
}

// Calls only observed (switchio serve): one record per call, written when
// its last leg is destroyed.
func TestCallRecorderObservedCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := fsemu.RunClusterT(t, 2, fsemu.Config{Inbound: fsemu.Inbound{Action: "answer", TalkTime: 200 * time.Millisecond}})
	pool, err := cluster.NewPool(ctx, []string{cl.Server(0).Addr(), cl.Server(1).Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	got := make(chan measure.Record, 10)
	cdr := collect.NewCallRecorder(collect.CallRecorderConfig{OnRecord: func(r measure.Record) { got <- r }})
	if err := cdr.Attach(ctx, pool); err != nil {
		t.Fatal(err)
	}
	defer cdr.Close()
	id := "11111111-2222-4333-8444-555555555555"
	if _, err := pool.Clients()[0].BgAPI(ctx, "originate {origination_uuid="+id+",sip_h_X-switchio_originating_session="+id+
		"}sofia/external/1000@"+cl.Server(1).SIPAddr()+" &park()"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if r.CallID != id || r.Outcome != "answered" || r.Server != cl.Server(0).Addr() || r.CalleeServer != cl.Server(1).Addr() || r.HangupBy != "far_end" {
			t.Fatalf("record %+v", r)
		}
		if r.CallerRTP == nil || r.CalleeRTP == nil {
			t.Fatalf("no RTP figures: %+v %+v", r.CallerRTP, r.CalleeRTP)
		}
	case <-ctx.Done():
		t.Fatal("no record")
	}
	if st := cdr.Stats(); st.Records != 1 || st.InFlight != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// An app's verdicts become typed columns of its calls' records; a record
// waits for a verdict marked pending, at most VerdictWait.
func TestCallRecorderVerdicts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, pool := answeringServer(t, ctx)
	specs := []measure.VerdictSpec{
		{Name: "digits_ok", Kind: measure.KindBool},
		{Name: "ber", Kind: measure.KindFloat},
		{Name: "never", Kind: measure.KindInt},
	}
	got := make(chan measure.Record, 10)
	cdr := collect.NewCallRecorder(collect.CallRecorderConfig{Verdicts: specs, VerdictWait: 2 * time.Second, OnRecord: func(r measure.Record) { got <- r }})
	if err := cdr.Attach(ctx, pool); err != nil {
		t.Fatal(err)
	}
	defer cdr.Close()
	sweep, stop := context.WithCancel(ctx)
	defer stop()
	go cdr.Run(sweep)
	// The app: digits_ok at answer; ber computed 1.2 s after the call
	// ended (pending meanwhile).
	var once sync.Once
	pool.Clients()[0].Observe(func(e *cluster.Event) {
		c := e.Call()
		if c == nil {
			return
		}
		switch e.Key {
		case "CHANNEL_ANSWER":
			once.Do(func() {
				_ = measure.SetVerdict(c, "digits_ok", true)
				measure.PendVerdict(c, "ber")
			})
		case "CHANNEL_DESTROY":
			time.AfterFunc(1200*time.Millisecond, func() { _ = measure.SetVerdict(c, "ber", 0.25) })
		}
	})
	id := "21111111-2222-4333-8444-555555555555"
	if _, err := pool.Clients()[0].BgAPI(ctx, "originate {origination_uuid="+id+",sip_h_X-switchio_originating_session="+id+
		"}sofia/external/1000@"+cl.Server(0).SIPAddr()+" &park()"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		v := r.Verdicts
		if r.CallID != id {
			t.Fatalf("record of %s", r.CallID)
		}
		if v["digits_ok"].Bool == nil || !*v["digits_ok"].Bool || v["ber"].Float == nil || *v["ber"].Float != 0.25 {
			t.Fatalf("verdicts %+v", v)
		}
		if _, ok := v["never"]; ok {
			t.Fatalf("a verdict never set has a value: %+v", v["never"])
		}
		if d := time.Since(r.LocalHangup); d < time.Second {
			t.Fatalf("record written %v after the call, before its pending verdict", d)
		}
	case <-ctx.Done():
		t.Fatal("no record")
	}
}

// At close, records still waiting for a pending verdict get it if it
// comes within VerdictWait; after CloseNow they are written at once,
// without it.
func TestCallRecorderCloseAwaitsVerdicts(t *testing.T) {
	for _, now := range []bool{false, true} {
		t.Run(map[bool]string{false: "Close", true: "CloseNow"}[now], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cl, pool := answeringServer(t, ctx)
			specs := []measure.VerdictSpec{{Name: "ber", Kind: measure.KindFloat}}
			got := make(chan measure.Record, 10)
			cdr := collect.NewCallRecorder(collect.CallRecorderConfig{Verdicts: specs, VerdictWait: 5 * time.Second, OnRecord: func(r measure.Record) { got <- r }})
			if err := cdr.Attach(ctx, pool); err != nil {
				t.Fatal(err)
			}
			destroyed := make(chan struct{})
			var once sync.Once
			pool.Clients()[0].Observe(func(e *cluster.Event) {
				c := e.Call()
				if c == nil {
					return
				}
				switch e.Key {
				case "CHANNEL_ANSWER":
					measure.PendVerdict(c, "ber")
				case "CHANNEL_DESTROY":
					once.Do(func() {
						close(destroyed)
						time.AfterFunc(time.Second, func() { _ = measure.SetVerdict(c, "ber", 0.5) })
					})
				}
			})
			id := "31111111-2222-4333-8444-555555555555"
			if _, err := pool.Clients()[0].BgAPI(ctx, "originate {origination_uuid="+id+",sip_h_X-switchio_originating_session="+id+
				"}sofia/external/1000@"+cl.Server(0).SIPAddr()+" &park()"); err != nil {
				t.Fatal(err)
			}
			<-destroyed
			for pool.Counters().CallsDone < 1 {
				time.Sleep(5 * time.Millisecond)
			}
			if now {
				cdr.CloseNow()
			}
			start := time.Now()
			cdr.Close()
			took := time.Since(start)
			r := <-got
			has := r.Verdicts["ber"].Float != nil
			if has == now || now && took > 500*time.Millisecond {
				t.Fatalf("verdict written %v (close took %v)", has, took)
			}
		})
	}
}

// answeringServer starts one emulated server whose far end answers and
// hangs up after 100 ms, and a pool over it, closed at the test's end.
func answeringServer(t *testing.T, ctx context.Context) (*fsemu.Cluster, *cluster.Pool) {
	t.Helper()
	cl := fsemu.RunClusterT(t, 1, fsemu.Config{Inbound: fsemu.Inbound{Action: "answer", TalkTime: 100 * time.Millisecond}})
	pool, err := cluster.NewPool(ctx, []string{cl.Server(0).Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return cl, pool
}
