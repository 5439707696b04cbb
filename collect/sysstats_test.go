package collect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

// fsemu answers "status" like the captured server; without the capacity
// model its idle CPU is the constant 98.
func TestParseStatusFsemu(t *testing.T) {
	body, err := fsemu.RunT(t).API(context.Background(), "status")
	if err != nil {
		t.Fatal(err)
	}
	st, err := measure.ParseStatus(body)
	if err != nil {
		t.Fatal(err)
	}
	if st.IdleCPUPct != 98 || st.SessionsPerSecMax != 200 || st.SessionsMax == nil || *st.SessionsMax != 2000 || st.Uptime == nil {
		t.Errorf("fsemu status = %+v", st)
	}
}

func TestHostReadingFill(t *testing.T) {
	t0 := time.Unix(1000, 0)
	base := hostReading{
		at:      t0,
		cpu:     cpu.TimesStat{User: 100, System: 50, Idle: 800, Nice: 10, Iowait: 20, Irq: 5, Softirq: 5, Steal: 10, Guest: 7},
		procCPU: 3, procRSS: 50 << 20,
		hasCPU: true, hasProc: true,
	}
	next := base
	next.at = t0.Add(2 * time.Second)
	// 200 s of CPU time pass: 40 user, 20 system, 100 idle, 20 iowait,
	// 20 in other states; guest time is in user already.
	next.cpu = cpu.TimesStat{User: 140, System: 70, Idle: 900, Nice: 20, Iowait: 40, Irq: 10, Softirq: 10, Steal: 10, Guest: 30}
	next.procCPU = 4 // half a core over 2 s
	next.procRSS = 60 << 20
	next.hasMemory, next.mem.Used, next.mem.Total = true, 3<<30, 8<<30
	next.hasLoad, next.load.Load1, next.load.Load5, next.load.Load15 = true, 1.5, 1.0, 0.5

	stalled := next
	stalled.cpu = base.cpu // no CPU time passed: no percentages
	stalled.at = base.at

	for _, tc := range []struct {
		name string
		cur  hostReading
		prev *hostReading
		want measure.SysStat
	}{
		{name: "first sample, no baseline", cur: next, want: measure.SysStat{
			MemUsedBytes: ptr[int64](3 << 30), MemTotalBytes: ptr[int64](8 << 30),
			Load1: ptr(1.5), Load5: ptr(1.0), Load15: ptr(0.5),
			ProcRSSBytes: ptr[int64](60 << 20),
		}},
		{name: "interval", cur: next, prev: &base, want: measure.SysStat{
			CPUPct: ptr(40.0), CPUUserPct: ptr(20.0), CPUSystemPct: ptr(10.0), CPUIdlePct: ptr(50.0), CPUIowaitPct: ptr(10.0),
			MemUsedBytes: ptr[int64](3 << 30), MemTotalBytes: ptr[int64](8 << 30),
			Load1: ptr(1.5), Load5: ptr(1.0), Load15: ptr(0.5),
			ProcCPUPct: ptr(50.0), ProcRSSBytes: ptr[int64](60 << 20),
		}},
		{name: "no time passed", cur: stalled, prev: &base, want: measure.SysStat{
			MemUsedBytes: ptr[int64](3 << 30), MemTotalBytes: ptr[int64](8 << 30),
			Load1: ptr(1.5), Load5: ptr(1.0), Load15: ptr(0.5),
			ProcRSSBytes: ptr[int64](60 << 20),
		}},
		{name: "figures missing", cur: hostReading{at: next.at}, prev: &base, want: measure.SysStat{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got measure.SysStat
			tc.cur.fill(&got, tc.prev)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("fill (-want +got):\n%s", d)
			}
		})
	}
}

// sampler runs a SysStats driven by the returned tick function, which
// sends one tick and returns the rows it produced by source. Run is
// stopped, and checked to return, when the test ends.
func sampler(t *testing.T, cfg SysStatsConfig) (*SysStats, func() map[string]measure.SysStat) {
	t.Helper()
	ticks := make(chan time.Time)
	cfg.Ticks = ticks
	s := NewSysStats(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	at := time.Unix(1700000000, 0)
	tick := func() map[string]measure.SysStat {
		t.Helper()
		at = at.Add(time.Second)
		ticks <- at
		rows := map[string]measure.SysStat{}
		for range len(cfg.Servers) + 1 {
			r := <-s.Rows()
			if !r.Time.Equal(at) {
				t.Fatalf("row of %s at %v, want the tick's %v", r.Source, r.Time, at)
			}
			rows[r.Source] = r
		}
		return rows
	}
	return s, tick
}

func dialT(t *testing.T, addr string) *cluster.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cluster.Dial(ctx, addr, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The controller's row has the host's and the process's figures.
func TestSysStatsController(t *testing.T) {
	_, tick := sampler(t, SysStatsConfig{})
	tick()
	r := tick()[measure.SourceController]
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	if r.MemUsedBytes == nil || r.MemTotalBytes == nil || *r.MemUsedBytes <= 0 || *r.MemUsedBytes > *r.MemTotalBytes {
		t.Errorf("memory %v/%v", r.MemUsedBytes, r.MemTotalBytes)
	}
	if r.Load1 == nil || r.Load5 == nil || r.Load15 == nil {
		t.Error("no load averages")
	}
	if r.ProcRSSBytes == nil || *r.ProcRSSBytes <= 0 {
		t.Errorf("process RSS %v", r.ProcRSSBytes)
	}
	if r.Sessions != nil || r.IdleCPUPct != nil {
		t.Error("server figures on the controller's row")
	}
}

// Server figures follow the emulated server's load: sessions rise while
// calls are up and the idle CPU of its capacity model drops, then both
// come back once the calls are gone.
func TestSysStatsFollowsServerLoad(t *testing.T) {
	const calls = 10
	c := fsemu.RunClusterT(t, 2, fsemu.Config{
		Inbound: fsemu.Inbound{Action: "answer"},
		// each held call takes a tenth of a core: 10 calls, half of 2 cores
		Capacity: &fsemu.Capacity{Cores: 2, SetupCost: time.Microsecond, HoldCostPerSecond: 100 * time.Millisecond},
	})
	caller, callee := dialT(t, c.Server(0).Addr()), dialT(t, c.Server(1).Addr())
	_, tick := sampler(t, SysStatsConfig{Servers: []*cluster.Client{caller, callee}})

	idle := tick()[caller.Addr()]
	if idle.Error != "" {
		t.Fatal(idle.Error)
	}
	if *idle.Sessions != 0 || *idle.IdleCPUPct < 99 || idle.ReplyMs == nil {
		t.Errorf("idle server: %d sessions, %.2f%% idle CPU", *idle.Sessions, *idle.IdleCPUPct)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range calls {
		job, err := caller.BgAPI(ctx, fmt.Sprintf("originate sofia/external/%d@%s &park()", 1000+i, c.Server(1).SIPAddr()))
		if err != nil {
			t.Fatal(err)
		}
		if out, err := job.Wait(ctx); err != nil {
			t.Fatalf("originate: %v (%q)", err, out)
		}
	}
	up := tick()
	for _, src := range []string{caller.Addr(), callee.Addr()} {
		if r := up[src]; r.Error != "" || *r.Sessions != calls || *r.SessionsSinceStartup != calls || *r.SessionsPeak != calls {
			t.Errorf("%s with %d calls up: %+v", src, calls, r)
		}
	}
	// The held calls cost their caller half of its cores.
	if got := *up[caller.Addr()].IdleCPUPct; got < 45 || got > 55 {
		t.Errorf("caller's idle CPU with %d calls up = %.2f%%, want about 50", calls, got)
	}

	if _, err := caller.API(ctx, "hupall"); err != nil {
		t.Fatal(err)
	}
	var down measure.SysStat
	for i := 0; ; i++ { // hupall returns before every channel is gone
		if down = tick()[caller.Addr()]; *down.Sessions == 0 {
			break
		}
		if i == 1000 {
			t.Fatalf("%d sessions left after hupall", *down.Sessions)
		}
	}
	if *down.IdleCPUPct < 99 || *down.SessionsSinceStartup != calls || *down.SessionsPeak != calls {
		t.Errorf("after hupall: %+v", down)
	}
}

// A server that refuses "status" gets an error row for the tick, with no
// figures; the other sources are sampled as usual.
func TestSysStatsServerError(t *testing.T) {
	refusing, fine := fsemu.RunT(t), fsemu.RunT(t)
	refusing.DenyAPI("status")
	a, b := dialT(t, refusing.Addr()), dialT(t, fine.Addr())
	_, tick := sampler(t, SysStatsConfig{Servers: []*cluster.Client{a, b}})
	rows := tick()
	if r := rows[a.Addr()]; !strings.Contains(r.Error, "permission denied") || r.Sessions != nil || r.ReplyMs != nil {
		t.Errorf("refusing server's row: %+v", r)
	}
	if r := rows[b.Addr()]; r.Error != "" || r.IdleCPUPct == nil || *r.IdleCPUPct != 98 {
		t.Errorf("other server's row: %+v", r)
	}
	if r := rows[measure.SourceController]; r.Error != "" {
		t.Errorf("controller's row: %+v", r)
	}
}

// A consumer that does not read loses the rows that find Rows full, and
// sampling goes on.
func TestSysStatsDropsWhenFull(t *testing.T) {
	ticks := make(chan time.Time)
	s := NewSysStats(SysStatsConfig{Ticks: ticks, Buffer: 1})
	s.host = func(context.Context) (hostReading, error) { return hostReading{}, nil }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	first := time.Unix(1, 0)
	for i := range 3 {
		ticks <- first.Add(time.Duration(i) * time.Second)
	}
	// Run received the third tick, so it went back to wait after the
	// second; stop it: it finishes the third tick before returning.
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	for r := range s.Rows() {
		got = append(got, r.Time)
	}
	if len(got) != 1 || !got[0].Equal(first) || s.Dropped() != 2 {
		t.Errorf("rows %v, %d dropped; want the first tick's and 2 dropped", got, s.Dropped())
	}
}

// Run stops on ctx or when Ticks closes, closing Rows; it runs once. The
// host figures failing gives an error row.
func TestSysStatsStops(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(cancel context.CancelFunc, ticks chan time.Time)
	}{
		{"context", func(cancel context.CancelFunc, _ chan time.Time) { cancel() }},
		{"ticks closed", func(_ context.CancelFunc, ticks chan time.Time) { close(ticks) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ticks := make(chan time.Time)
			s := NewSysStats(SysStatsConfig{Ticks: ticks})
			s.host = func(context.Context) (hostReading, error) { return hostReading{}, errors.New("no /proc") }
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			ticks <- time.Unix(1, 0)
			if r := <-s.Rows(); r.Source != measure.SourceController || r.Error != "no /proc" {
				t.Errorf("row %+v, want the controller's error", r)
			}
			tc.stop(cancel, ticks)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if _, ok := <-s.Rows(); ok {
				t.Error("Rows not closed")
			}
			if err := s.Run(context.Background()); !errors.Is(err, ErrSysStatsRunning) {
				t.Errorf("second Run: %v", err)
			}
		})
	}
}
