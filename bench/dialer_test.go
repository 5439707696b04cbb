package bench

// Load benchmarks of the dialer against two emulated servers run by
// "switchio emulate" in a subprocess, so that the controller's CPU and
// memory (this process) are measured apart from the emulator's. They run
// once whatever b.N is; use -benchtime=1x. Sizes come from the
// environment so the long runs are opt-in:
//
//	SWITCHIO_BENCH_RATES    comma-separated target rates (default 1000)
//	SWITCHIO_BENCH_SECONDS  offering time per rate (default 10; the
//	                        reference run is 60)
//	SWITCHIO_BENCH_HOLD     hold time (default 5s)
//	SWITCHIO_BENCH_LIMIT    concurrent call limit (default 10000)
//	SWITCHIO_BENCH_HELD     calls held by BenchmarkDialerHeld (default 5000;
//	                        the reference run is 50000)
//	SWITCHIO_BENCH_HELD_RATE  the rate BenchmarkDialerHeld ramps up at
//	                        (default 1000)
//	SWITCHIO_BENCH_HEAPPROFILE  BenchmarkDialerHeld writes the heap profile
//	                        with every call in flight to this path
//	                        (.measure-false, .measure-true)
//	SWITCHIO_BENCH_APP      the app to dial with (default TonePlay; a script:
//	                        ../examples/apps/tone.star)
//	SWITCHIO_BENCH_VERBOSE  "false" keeps FreeSWITCH's normal-size events
//	                        (default: fsctl verbose_events true)
//
//	cd bench && go test -run '^$' -bench Dialer -benchtime 1x .

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/internal/procs"
	"github.com/switchio/switchio/loadtest"
	"github.com/switchio/switchio/script"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// emulator is "switchio emulate" running in a subprocess.
type emulator struct {
	cmd   *exec.Cmd
	addrs []string
}

func startEmulator(b *testing.B, servers int, flags ...string) *emulator {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "switchio")
	// built in the main module (the repository root), which holds the
	// command's dependencies
	build := exec.Command("go", "build", "-o", bin, "./cmd/switchio")
	build.Dir = ".."
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("go build: %v", err)
	}
	cmd := exec.Command(bin, append([]string{"emulate", "--servers", strconv.Itoa(servers), "--listen", "127.0.0.1:0"}, flags...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	e := &emulator{cmd: cmd}
	b.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	re := regexp.MustCompile(`esl=(\S+)`)
	sc := bufio.NewScanner(out)
	for len(e.addrs) < servers && sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			e.addrs = append(e.addrs, m[1])
		}
	}
	if len(e.addrs) < servers {
		b.Fatalf("emulate printed %d servers", len(e.addrs))
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return e
}

// cpu returns the subprocess's user+system CPU time so far.
func (e *emulator) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func benchDialer(b *testing.B, e *emulator, cfg dialer.Config, verbose bool) (*dialer.Originator, *cluster.Pool) {
	o, pool, _ := benchMeasuredDialer(b, e, cfg, verbose, false)
	return o, pool
}

// benchMeasuredDialer is benchDialer with, when measured, the run
// measured as switchio dial --out does (CDR, figures, time series,
// system statistics, Parquet under a temporary directory).
func benchMeasuredDialer(b *testing.B, e *emulator, cfg dialer.Config, verbose, measure bool) (*dialer.Originator, *cluster.Pool, *loadtest.Run) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := cluster.NewPool(ctx, e.addrs, cluster.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var m *loadtest.Run
	if measure {
		if m, err = loadtest.Start(ctx, pool, loadtest.Options{Dir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
		cfg.OnCall = m.Call
	}
	o, err := dialer.New(ctx, pool, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := o.Setup(ctx, dialer.Settings{VerboseEvents: verbose}); err != nil {
		b.Fatal(err)
	}
	reg, spec := benchApp(b)
	if _, err := o.LoadSpec(ctx, reg, spec, 1); err != nil {
		b.Fatal(err)
	}
	return o, pool, m
}

// benchApp returns the app the dial benchmarks load, SWITCHIO_BENCH_APP:
// a built-in app's spec or a script's (../examples/apps/tone.star);
// TonePlay by default.
func benchApp(b *testing.B) (*appkit.Registry, string) {
	reg, spec := apps.Builtin(), os.Getenv("SWITCHIO_BENCH_APP")
	if spec == "" {
		return reg, "TonePlay"
	}
	if _, _, _, ok := script.SplitFile(spec); ok {
		s, _, err := script.Resolve(reg, spec)
		if err != nil {
			b.Fatal(err)
		}
		spec = s
	}
	return reg, spec
}

// BenchmarkDialerRate offers calls at each target rate for a fixed time
// (full-size events, TonePlay on every call) and reports the achieved
// rate, failures, set-up latency and the controller's CPU and heap.
func BenchmarkDialerRate(b *testing.B) {
	rates := strings.Split(os.Getenv("SWITCHIO_BENCH_RATES"), ",")
	if rates[0] == "" {
		rates = []string{"1000"}
	}
	secs := envInt("SWITCHIO_BENCH_SECONDS", 10)
	hold := envDur("SWITCHIO_BENCH_HOLD", 5*time.Second)
	limit := envInt("SWITCHIO_BENCH_LIMIT", 10000)
	for _, r := range rates {
		rate, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil {
			b.Fatal(err)
		}
		for _, measure := range []bool{false, true} {
			b.Run(fmt.Sprintf("rate=%g/measure=%v", rate, measure), func(b *testing.B) {
				e := startEmulator(b, 2)
				// as switchio dial runs: one processor while lightly
				// loaded, all of them when not (unless GOMAXPROCS is set)
				defer procs.Govern(context.Background())()
				n := uint64(rate * float64(secs))
				verbose := os.Getenv("SWITCHIO_BENCH_VERBOSE") != "false"
				o, pool, m := benchMeasuredDialer(b, e, dialer.Config{Rate: rate, Limit: limit, MaxOffered: n, Duration: hold}, verbose, measure)
				defer pool.Close()
				defer o.Close()
				var inFlight int64
				heap0 := heapMB()
				cpu0, ecpu0, t0 := selfCPU(), e.cpu(), time.Now()
				if err := o.Start(); err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs)*time.Second*3+hold+time.Minute)
				defer cancel()
				var peakHeap float64
				_ = o.WaitWhile(ctx, func(st dialer.Stats) bool {
					if m != nil {
						m.Tick(o)
					}
					if st.Active > 0 && st.Elapsed > time.Duration(secs)*time.Second/2 && peakHeap == 0 {
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						peakHeap = float64(ms.HeapInuse) / (1 << 20)
						if m != nil {
							inFlight = m.CDRStats().InFlight
						}
					}
					return st.State == dialer.Originating
				})
				offerEnd := time.Now()
				cpuOffer, ecpuOffer := selfCPU()-cpu0, e.cpu()-ecpu0
				if err := o.Wait(ctx); err != nil {
					b.Fatalf("wait: %v", err)
				}
				sm := o.Summary()
				if m != nil {
					o.Close()
					if _, err := m.Close(o); err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(inFlight), "cdr_calls_in_flight")
				}
				wall := offerEnd.Sub(t0)
				var events, bytes uint64
				for _, c := range pool.Clients() {
					if conn := c.Conn(); conn != nil {
						st := conn.Stats()
						events += st.EventsReceived
						bytes += st.BytesRead
						b.Logf("%s: controller event queue high water %d", c.Addr(), st.EventsHighWater)
					}
				}
				if sm.Offered > 0 {
					perCall, kb := float64(events)/float64(sm.Offered), float64(bytes)/1024/float64(sm.Offered)
					b.ReportMetric(perCall, "events/call")
					b.ReportMetric(kb, "KB/call")
					// The emulator must send what a real server sends for
					// a call, or the CPU per call measures something else.
					if verbose {
						for _, f := range []string{"06_call_sofia_plain_all.rx.txt", "21_playrec_recorded.rx.txt"} {
							p := loadCaptureProfile(b, f)
							ckb := float64(p.bytes) / 1024
							if math.Abs(perCall-float64(p.events)) > 1.5 || math.Abs(kb/ckb-1) > 0.15 {
								b.Errorf("emulated call: %.1f events, %.1f KB; capture %s: %d events, %.1f KB", perCall, kb, f, p.events, ckb)
							}
						}
					}
				}
				b.ReportMetric(sm.AchievedRate, "achieved_cps")
				b.ReportMetric(100*sm.AchievedRate/rate, "achieved_%")
				b.ReportMetric(float64(sm.Failed), "failed")
				b.ReportMetric(sm.LocalSetupLatency.P50, "setup_p50_ms")
				b.ReportMetric(sm.LocalSetupLatency.P99, "setup_p99_ms")
				b.ReportMetric(100*cpuOffer.Seconds()/wall.Seconds(), "ctrl_cpu_%")
				b.ReportMetric(100*ecpuOffer.Seconds()/wall.Seconds(), "emu_cpu_%")
				b.ReportMetric(peakHeap-heap0, "ctrl_heap_MB")
				b.ReportMetric(float64(sm.PeakActive), "peak_calls")
				b.Logf("rate %g: offered %d answered %d failed %d %v achieved %.1f cps (%.2f%%), set-up p50 %.1f ms p99 %.1f ms, ctrl CPU %.1f%% of a core, emulator %.1f%%, peak active %d, saturation %v",
					rate, sm.Offered, sm.Answered, sm.Failed, sm.FailedByCause, sm.AchievedRate, 100*sm.AchievedRate/rate,
					sm.LocalSetupLatency.P50, sm.LocalSetupLatency.P99, 100*cpuOffer.Seconds()/wall.Seconds(), 100*ecpuOffer.Seconds()/wall.Seconds(), sm.PeakActive, sm.Saturation)
				b.ReportMetric(float64(cpuOffer.Microseconds())/float64(sm.Offered), "ctrl_cpu_us/call")
			})
		}
	}
}

// BenchmarkDialerHeld ramps up to SWITCHIO_BENCH_HELD concurrent calls
// (two legs each), holds them and reports the controller's heap per leg.
func BenchmarkDialerHeld(b *testing.B) {
	for _, measure := range []bool{false, true} {
		b.Run(fmt.Sprintf("measure=%v", measure), func(b *testing.B) { benchHeld(b, measure) })
	}
}

// benchHeld ramps up to SWITCHIO_BENCH_HELD calls held and reports the
// controller's live heap (after a collection) per call and per leg in
// flight; measured, the run keeps the CDR's state of every call in flight
// as switchio dial --out does.
func benchHeld(b *testing.B, measure bool) {
	held := envInt("SWITCHIO_BENCH_HELD", 5000)
	e := startEmulator(b, 2)
	rate := float64(envInt("SWITCHIO_BENCH_HELD_RATE", 1000))
	o, pool, m := benchMeasuredDialer(b, e, dialer.Config{Rate: rate, Limit: held, MaxOffered: uint64(held), Duration: time.Hour}, false, measure)
	defer pool.Close()
	defer o.Close()
	heap0 := heapMB()
	if err := o.Start(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool {
		if m != nil {
			m.Tick(o)
		}
		return st.Answered < uint64(held)
	}); err != nil {
		b.Fatalf("ramp: %v (%+v)", err, o.Stats())
	}
	time.Sleep(2 * time.Second) // let the apps' commands settle
	if m != nil {
		m.Tick(o)
	}
	heap := heapMB()
	if path := os.Getenv("SWITCHIO_BENCH_HEAPPROFILE"); path != "" {
		// the live heap with every call in flight, for go tool pprof
		f, err := os.Create(fmt.Sprintf("%s.measure-%v", path, measure))
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	legs := 0
	for _, c := range pool.Clients() {
		legs += len(c.Sessions())
	}
	calls := o.Stats().Active
	perLeg := (heap - heap0) * (1 << 20) / float64(legs)
	b.ReportMetric(float64(legs), "legs")
	b.ReportMetric(heap-heap0, "ctrl_heap_MB")
	b.ReportMetric(perLeg, "bytes/leg")
	b.ReportMetric((heap-heap0)*(1<<20)/float64(calls), "bytes/call")
	b.Logf("%d calls held, %d legs tracked: controller live heap +%.1f MB, %.0f bytes per leg", calls, legs, heap-heap0, perLeg)
	if err := o.Hupall(ctx); err != nil {
		b.Fatal(err)
	}
	if err := o.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	if m != nil {
		o.Close()
		if _, err := m.Close(o); err != nil {
			b.Fatal(err)
		}
	}
}
