package measure

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shirou/gopsutil/v4/cpu"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// The package's TestMain (goleak.VerifyTestMain) checks these tests leak
// no goroutine.

// capturedStatus returns the body of the first api/response in the
// capture of a real FreeSWITCH 1.10.12 answering "api status".
func capturedStatus(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../testdata/captures/03_api_status.rx.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	api := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no api/response in the capture: %v", err)
		}
		line = strings.TrimSpace(line)
		if line == "Content-Type: api/response" {
			api = true
		}
		if n, ok := strings.CutPrefix(line, "Content-Length: "); ok && api {
			size, err := strconv.Atoi(n)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.ReadString('\n'); err != nil { // the blank line
				t.Fatal(err)
			}
			body := make([]byte, size)
			if _, err := io.ReadFull(r, body); err != nil {
				t.Fatal(err)
			}
			return string(body)
		}
	}
}

func TestParseStatus(t *testing.T) {
	captured := capturedStatus(t)
	capturedWant := ServerStatus{
		Uptime:            ptr(5*time.Second + 363*time.Millisecond + 764*time.Microsecond),
		SessionsPerSecMax: 200,
		SessionsMax:       ptr[int64](2000),
		IdleCPUPct:        97.93,
	}
	busy := strings.Join([]string{
		"UP 1 year, 1 day, 1 hour, 1 minute, 1 second, 1 millisecond, 1 microsecond",
		"FreeSWITCH (Version 1.10.12-release  64bit) is not ready",
		"123456 session(s) since startup",
		"412 session(s) - peak 830, last 5min 611 ",
		"37 session(s) per Sec out of max 200, peak 95, last 5min 60 ",
		"2000 session(s) max",
		"min idle cpu 10.00/3.50",
		"",
	}, "\n")
	busyWant := ServerStatus{
		Uptime: ptr(366*24*time.Hour + time.Hour + time.Minute + time.Second + time.Millisecond + time.Microsecond),

		SessionsSinceStartup: 123456,
		Sessions:             412, SessionsPeak: 830, SessionsPeak5Min: 611,
		SessionsPerSec: 37, SessionsPerSecMax: 200, SessionsPerSecPeak: 95, SessionsPerSecPeak5Min: 60,
		SessionsMax:   ptr[int64](2000),
		MinIdleCPUPct: 10, IdleCPUPct: 3.5,
	}
	bare := "0 session(s) since startup\n0 session(s) - peak 0, last 5min 0\n0 session(s) per Sec out of max 30, peak 0, last 5min 0\nmin idle cpu 0.00/100.00"
	for _, tc := range []struct {
		name string
		body string
		want ServerStatus
		err  string // a substring of the error; "" for none
	}{
		{name: "captured", body: captured, want: capturedWant},
		{name: "CRLF", body: strings.ReplaceAll(captured, "\n", "\r\n"), want: capturedWant},
		{name: "blanks around lines", body: strings.ReplaceAll(captured, "\n", "  \n\t"), want: capturedWant},
		{name: "busy, singular units, not ready", body: busy, want: busyWant},
		{name: "lines reordered", body: reverseLines(busy), want: busyWant},
		{name: "unknown lines among them", body: "+OK\n" + strings.ReplaceAll(busy, "\n", "\nsomething new 1/2\n"), want: busyWant},
		{name: "no uptime, max or stack lines", body: bare, want: ServerStatus{SessionsPerSecMax: 30, IdleCPUPct: 100}},
		{name: "sps limit lowered in the last second", body: strings.Replace(busy, "37 session(s) per Sec", "-9000 session(s) per Sec", 1),
			want: func() ServerStatus { w := busyWant; w.SessionsPerSec = -9000; return w }()},
		{name: "integer idle figures", body: strings.Replace(bare, "0.00/100.00", "0/100", 1), want: ServerStatus{SessionsPerSecMax: 30, IdleCPUPct: 100}},

		{name: "empty", body: "", err: "no sessions since startup, sessions, sessions per second, idle cpu line"},
		{name: "error reply", body: "-ERR status Command not found!\n", err: "no sessions since startup"},
		{name: "truncated before idle cpu", body: captured[:strings.Index(captured, "min idle")], err: "no idle cpu line"},
		{name: "idle cpu not a number", body: strings.Replace(captured, "97.93", "9x.93", 1), err: "no idle cpu line"},
		{name: "negative sessions", body: strings.Replace(busy, "412 session(s)", "-1 session(s)", 1), err: "no sessions line"},
		{name: "sessions overflow", body: strings.Replace(busy, "123456", "99999999999999999999", 1), err: "out of range"},
		{name: "uptime overflow", body: strings.Replace(busy, "UP 1 year", "UP 999999 year", 1), err: "uptime out of range"},
		{name: "idle cpu overflow", body: strings.Replace(bare, "100.00", "1"+strings.Repeat("0", 400), 1), err: "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatus(tc.body)
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrBadStatus) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want ErrBadStatus with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseStatus (-want +got):\n%s", d)
			}
		})
	}
}

func reverseLines(s string) string {
	l := strings.Split(s, "\n")
	for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
		l[i], l[j] = l[j], l[i]
	}
	return strings.Join(l, "\n")
}

// Every prefix of the captured reply and of fsemu's either parses or is
// an error; none panics.
func TestParseStatusPrefixes(t *testing.T) {
	emulated, err := fsemu.RunT(t).API(context.Background(), "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{capturedStatus(t), emulated} {
		for i := range len(body) + 1 {
			if _, err := ParseStatus(body[:i]); err != nil && !errors.Is(err, ErrBadStatus) {
				t.Fatalf("prefix %d: %v", i, err)
			}
		}
	}
}

// fsemu answers "status" like the captured server; without the capacity
// model its idle CPU is the constant 98.
func TestParseStatusFsemu(t *testing.T) {
	body, err := fsemu.RunT(t).API(context.Background(), "status")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStatus(body)
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
		want SysStat
	}{
		{name: "first sample, no baseline", cur: next, want: SysStat{
			MemUsedBytes: ptr[int64](3 << 30), MemTotalBytes: ptr[int64](8 << 30),
			Load1: ptr(1.5), Load5: ptr(1.0), Load15: ptr(0.5),
			ProcRSSBytes: ptr[int64](60 << 20),
		}},
		{name: "interval", cur: next, prev: &base, want: SysStat{
			CPUPct: ptr(40.0), CPUUserPct: ptr(20.0), CPUSystemPct: ptr(10.0), CPUIdlePct: ptr(50.0), CPUIowaitPct: ptr(10.0),
			MemUsedBytes: ptr[int64](3 << 30), MemTotalBytes: ptr[int64](8 << 30),
			Load1: ptr(1.5), Load5: ptr(1.0), Load15: ptr(0.5),
			ProcCPUPct: ptr(50.0), ProcRSSBytes: ptr[int64](60 << 20),
		}},
		{name: "no time passed", cur: stalled, prev: &base, want: SysStat{
			MemUsedBytes: ptr[int64](3 << 30), MemTotalBytes: ptr[int64](8 << 30),
			Load1: ptr(1.5), Load5: ptr(1.0), Load15: ptr(0.5),
			ProcRSSBytes: ptr[int64](60 << 20),
		}},
		{name: "figures missing", cur: hostReading{at: next.at}, prev: &base, want: SysStat{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got SysStat
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
func sampler(t *testing.T, cfg SysStatsConfig) (*SysStats, func() map[string]SysStat) {
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
	tick := func() map[string]SysStat {
		t.Helper()
		at = at.Add(time.Second)
		ticks <- at
		rows := map[string]SysStat{}
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
	r := tick()[SourceController]
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
	var down SysStat
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
	if r := rows[SourceController]; r.Error != "" {
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
			if r := <-s.Rows(); r.Source != SourceController || r.Error != "no /proc" {
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
