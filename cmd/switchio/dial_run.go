package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/switchio/switchio/measure/summary"
	"golang.org/x/term"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/promexport"
	"github.com/switchio/switchio/dialer/web"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/internal/procs"
	"github.com/switchio/switchio/loadtest"
	"github.com/switchio/switchio/report"
)

// runDial runs the dialer until it is done or interrupted and returns the
// exit code; an error means the run could not start. sig is read from the
// start: a signal during set-up stops the run with its exit code. The run
// itself is the library's (loadtest.Prepare); dial adds the flags, the
// embedded servers, the live view, Prometheus and the web view, and the
// handling of signals.
func runDial(ctx context.Context, o dialOpts, hosts []string, stdout, stderr io.Writer, sig <-chan os.Signal) (int, error) {
	if o.setupTimeout <= 0 {
		return 1, fmt.Errorf("--setup-timeout must be positive")
	}
	setup := guardSetup(ctx, sig, o.setupTimeout)
	defer setup.end()
	if o.reg == nil {
		// One registry for the run: --app scripts are registered on it
		// while the flags are read, and loaded from it later.
		o.reg = builtinApps()
	}
	cfg, apps, err := buildConfig(o)
	if err != nil {
		return 1, err
	}
	if hosts, err = o.checkHosts(hosts); err != nil {
		return 1, err
	}
	if os.Getenv("GOGC") == "" {
		// The controller's heap is small (a few hundred bytes per call)
		// while it parses several KB of events per call: with the default
		// GOGC the collector runs every few MB and costs a third of the
		// CPU. A larger factor trades a few MB for that.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	// One processor while lightly loaded, all of them when not, unless
	// GOMAXPROCS is set (internal/procs).
	defer procs.Govern(ctx)()
	r := &dialState{o: o, stdout: stdout, stderr: stderr, setup: setup, down: make(chan string, 16)}
	if o.interactive {
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return 1, errNoTerminal
		}
		sh, err := newShell()
		if err != nil {
			return 1, err
		}
		defer sh.close()
		r.shell, r.shellSig = sh, make(chan os.Signal, 1)
		stderr = sh.logs() // above the prompt
		r.stderr = stderr
	}
	r.view = newLiveView(stderr, o.statusInterval)
	r.log = slog.New(slog.NewTextHandler(r.view.Logs(), &slog.HandlerOptions{Level: o.logLevel()}))
	if len(hosts) == 0 {
		emu, err := r.startEmulator()
		if err != nil {
			return setup.failed(err, stderr)
		}
		defer emu.Close()
		hosts = emu.Addrs()
	}
	sctx, cancel := setup.step()
	pool, err := cluster.NewPool(sctx, hosts, cluster.Config{Password: o.password, Logger: r.log})
	cancel()
	if err != nil {
		return setup.failed(err, stderr)
	}
	defer pool.Close()
	code, err := r.launch(ctx, pool, cfg, apps)
	defer r.stopServers()
	if r.test == nil {
		return code, err
	}
	if s := setup.end(); s != nil {
		fmt.Fprintf(stderr, "switchio dial: %v during set-up: stopped\n", s)
		r.test.Measure.Abort()
		r.closeDialer(ctx, 0)
		return signalExitCode(s), nil
	}
	if err := r.test.Start(); err != nil {
		r.test.Measure.Abort()
		r.closeDialer(ctx, 5*time.Second)
		return 1, err
	}
	if r.shell != nil {
		r.shell.start(r.test.Dialer, r.view.note, r.shellSig)
	}
	r.loop(ctx, sig)
	if r.shell != nil {
		r.shell.close() // the run is over: the prompt ends
	}
	sm := r.finish(ctx)
	if o.json {
		b, _ := json.MarshalIndent(sm, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		printSummary(stdout, sm, o.out)
		printServerLimits(stdout, sm.ServerSettings, o.password)
	}
	return exitCodeOf(r.interrupt, sm), nil
}

// dialState is the state of one switchio dial run, once its flags are read.
type dialState struct {
	o              dialOpts
	stdout, stderr io.Writer
	setup          *setupGuard
	view           *liveView
	log            *slog.Logger
	down           chan string // servers whose connection was lost
	test           *loadtest.Test
	prom, web      func() // stop the Prometheus and web servers
	// shell is --interactive's prompt; shellSig its Ctrl-D, an interrupt.
	shell      *shell
	shellSig   chan os.Signal
	interrupt  os.Signal
	drainUntil time.Time
	// closeWait bounds the end of the calls, restoreWait putting the
	// servers' limits back (0 after a second interrupt or every server
	// lost: nothing more is waited for).
	closeWait, restoreWait time.Duration
}

// logLevel is the level of dial's log lines.
func (o dialOpts) logLevel() slog.Level {
	if o.verbose {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// checkHosts checks HOSTS against --servers, normalises them and checks
// they are distinct, and checks --out.
func (o dialOpts) checkHosts(hosts []string) ([]string, error) {
	if len(hosts) > 0 && o.serversSet {
		return nil, fmt.Errorf("--servers sets the number of embedded emulated servers: it cannot be used with HOSTS")
	}
	hosts = normalizeHosts(hosts)
	if err := checkDistinct(hosts); err != nil {
		return nil, err
	}
	if err := checkOutDir(o.out, o.force); err != nil {
		return nil, err
	}
	if len(hosts) == 0 && o.servers < 1 {
		return nil, fmt.Errorf("--servers must be at least 1")
	}
	return hosts, nil
}

// startEmulator starts the embedded emulated servers dial runs against
// when no HOSTS are given.
func (r *dialState) startEmulator() (*fsemu.Cluster, error) {
	emu, err := fsemu.StartCluster(r.setup.ctx, r.o.servers, fsemu.Config{Password: r.o.password})
	if err != nil {
		return nil, fmt.Errorf("start embedded servers: %w", err)
	}
	fmt.Fprintf(r.stderr, "switchio dial: no HOSTS given, dialing through %d embedded emulated servers (%s)\n",
		len(emu.Servers), strings.Join(emu.Addrs(), ", "))
	return emu, nil
}

// launch prepares the measured run (loadtest.Prepare) and starts the
// Prometheus and web servers the flags ask for. Without r.test set, the
// run could not be prepared: code and err are dial's result.
func (r *dialState) launch(ctx context.Context, pool *cluster.Pool, cfg dialer.Config, apps []appArg) (int, error) {
	o := r.o
	cfg.Logger = r.log
	cfg.OnServerDown = func(addr string) {
		select {
		case r.down <- addr:
		default:
		}
	}
	var prom *promexport.Exporter
	if o.metricsAddr != "" {
		prom = promexport.New(promexport.Options{Runtime: true})
		cfg.OnCall = prom.OnCall(nil)
	}
	plan := loadtest.Plan{Pool: pool, Dialer: cfg, Registry: o.registry(), StepTimeout: o.setupTimeout, Warmup: o.warmup,
		Measure: loadtest.Options{Dir: o.out, Overwrite: o.force, Logger: r.log, Thresholds: o.thresholds}}
	for _, a := range apps {
		plan.Apps = append(plan.Apps, loadtest.AppSpec{Spec: a.spec, Weight: a.weight})
	}
	if o.setup {
		plan.Settings = &dialer.Settings{VerboseEvents: o.verboseEvents}
	}
	t, err := loadtest.Prepare(r.setup.ctx, plan)
	if err != nil {
		var le *loadtest.PrepareError
		if errors.As(err, &le) {
			printNotRestored(r.stderr, le.Settings, o.password)
		}
		if errors.Is(err, loadtest.ErrSettings) && !r.setup.gaveUp(err) {
			err = fmt.Errorf("%w (use --setup=false to skip)", err)
		}
		return r.setup.failed(err, r.stderr)
	}
	r.test, r.closeWait, r.restoreWait = t, 5*time.Second, 5*time.Second
	if o.setup {
		printLimitsRaised(r.stderr, t.Dialer.ServerSettings())
	}
	if prom != nil {
		if err := r.serveMetrics(ctx, prom); err != nil {
			return r.abort(ctx, fmt.Errorf("--metrics-addr: %w", err))
		}
	}
	if o.webAddr != "" {
		if err := r.serveWeb(ctx); err != nil {
			return r.abort(ctx, fmt.Errorf("--web: %w", err))
		}
	}
	return 0, nil
}

// stopServers stops the Prometheus and web servers launch started.
func (r *dialState) stopServers() {
	if r.web != nil {
		r.web()
	}
	if r.prom != nil {
		r.prom()
	}
}

// abort gives up a prepared run that cannot start.
func (r *dialState) abort(ctx context.Context, err error) (int, error) {
	r.test.Measure.Abort()
	r.closeDialer(ctx, 5*time.Second)
	r.test = nil
	return r.setup.failed(err, r.stderr)
}

// closeDialer closes the dialer of a run that never started, within wait
// (0: set-up was given up, the servers may be stuck), and says which
// limits it could not put back.
func (r *dialState) closeDialer(ctx context.Context, wait time.Duration) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	_ = r.test.Dialer.CloseContext(cctx) // puts the servers' limits back
	cancel()
	printNotRestored(r.stderr, r.test.Dialer.ServerSettings(), r.o.password)
}

// serveMetrics serves the Prometheus metrics (--metrics-addr).
func (r *dialState) serveMetrics(ctx context.Context, prom *promexport.Exporter) error {
	prom.Attach(r.test.Dialer)
	pctx, pcancel := context.WithCancel(ctx)
	srv, err := promexport.Serve(pctx, r.o.metricsAddr, r.o.metricsRemote, prom.Handler())
	if err != nil {
		pcancel()
		return err
	}
	r.prom = func() { pcancel(); _ = srv.Wait() }
	fmt.Fprintf(r.stderr, "switchio dial: Prometheus metrics at http://%s%s\n", srv.Addr(), promexport.Path)
	return nil
}

// serveWeb serves the live web view (--web).
func (r *dialState) serveWeb(ctx context.Context) error {
	wctx, wcancel := context.WithCancel(ctx)
	srv, err := web.Serve(wctx, r.o.webAddr, r.o.webRemote, r.test.Dialer)
	if err != nil {
		wcancel()
		return err
	}
	r.web = func() { wcancel(); _ = srv.Wait() }
	fmt.Fprintf(r.stderr, "switchio dial: live view at %s\n", srv.URL())
	return nil
}

// loop draws the live view and follows the run until it is over: offering
// done and the calls ended or drained, every server lost, or a second
// interrupt.
func (r *dialState) loop(ctx context.Context, sig <-chan os.Signal) {
	d, m := r.test.Dialer, r.test.Measure
	t := time.NewTicker(r.view.period)
	defer t.Stop()
	for {
		select {
		case s := <-sig:
			if r.interrupted(ctx, s) {
				return
			}
		case s := <-r.shellSig: // nil without --interactive: never ready
			if r.interrupted(ctx, s) {
				return
			}
		case addr := <-r.down:
			r.view.note("lost the connection to " + addr + " (reconnecting); measurements flushed")
			_ = d.Flush(ctx)
			_ = m.Flush(d.Summary())
		case <-t.C:
		}
		m.Tick(d)
		st := d.Stats()
		r.view.draw(st)
		if st.AllServersLost {
			r.view.note("every server unreachable for --server-timeout: stopping")
			r.abandon(ctx, dialer.CauseServerLost, 500*time.Millisecond)
			r.closeWait, r.restoreWait = 0, 0
			return
		}
		if st.State != dialer.Originating && r.drained(ctx, st) {
			return
		}
	}
}

// interrupted handles a signal: the first hangs this dialer's calls up and
// lets them end within the drain; the second records the calls still up
// and ends the run at once (true).
func (r *dialState) interrupted(ctx context.Context, s os.Signal) bool {
	d := r.test.Dialer
	if r.interrupt != nil {
		r.view.note(fmt.Sprintf("second %v: recording the calls still up and stopping now", s))
		r.abandon(ctx, dialer.CauseInterrupted, 500*time.Millisecond)
		r.closeWait, r.restoreWait = 0, time.Second
		return true
	}
	r.interrupt = s
	r.view.note(fmt.Sprintf("%v: stopping, hanging up this dialer's calls (again to stop at once)", s))
	hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
	if err := d.HupallCause(hctx, dialer.CauseInterrupted); err != nil {
		r.log.Warn("hupall", "err", err)
	}
	hcancel()
	_ = d.Flush(ctx)
	_ = r.test.Measure.Flush(d.Summary())
	r.drainUntil = time.Now().Add(r.o.interruptDrain())
	return false
}

// drained tells whether the run is over once offering has stopped: no
// call is up, or the drain time ran out (the calls still up are then hung
// up as abandoned).
func (r *dialState) drained(ctx context.Context, st dialer.Stats) bool {
	if st.Active == 0 {
		return true
	}
	d := r.test.Dialer
	until := r.drainUntil
	if until.IsZero() {
		// --drain is counted from when offering stopped; the
		// default follows the calls still up (endDrain).
		if until = r.o.endDrain(time.Now(), d); r.o.drain > 0 {
			r.drainUntil = until
		}
	}
	if !time.Now().After(until) {
		return false
	}
	before := d.Summary()
	r.abandon(ctx, dialer.CauseDrainTimeout, 2*time.Second)
	r.view.note(drainNote(before, d.Summary()))
	return true
}

// abandon hangs up the calls still up under cause, within wait.
func (r *dialState) abandon(ctx context.Context, cause string, wait time.Duration) {
	actx, acancel := context.WithTimeout(ctx, wait)
	if err := r.test.Dialer.Abandon(actx, cause); err != nil {
		r.log.Warn("hang-up", "err", err)
	}
	acancel()
}

// finish ends the run: the view's last lines, the servers' limits put
// back (even after a second Ctrl-C: a reachable server answers at once)
// before the summary says whether they were, the measurement closed and
// the report built. It returns the run's summary.
func (r *dialState) finish(ctx context.Context) summary.Run {
	d := r.test.Dialer
	r.view.finish(d.Stats())
	sm, err := r.test.End(ctx, loadtest.Ending{Restore: r.restoreWait, Calls: r.closeWait})
	printNotRestored(r.stderr, d.ServerSettings(), r.o.password)
	if err != nil {
		fmt.Fprintln(r.stderr, "switchio dial: writing measurements:", err)
	}
	if r.o.out != "" && r.closeWait > 0 {
		// Not after a second interrupt: the user wants out now (switchio
		// report DIR builds it later).
		if path, err := report.Build(r.o.out, report.Options{}); err != nil {
			fmt.Fprintln(r.stderr, "switchio dial: report:", err)
		} else {
			fmt.Fprintln(r.stderr, "switchio dial: report:", path)
		}
	}
	return sm
}

// exitCodeOf is the exit code of a run that started, by precedence: an
// interrupted run (its figures are partial), then a failed run (every
// server lost, or calls offered and none answered), then a broken
// threshold, then success (docs/outcomes.md has the table).
func exitCodeOf(interrupt os.Signal, sm summary.Run) int {
	switch {
	case interrupt != nil:
		return signalExitCode(interrupt)
	case sm.AllServersLost, sm.Offered > 0 && sm.Answered == 0:
		return exitRunFailed
	case !sm.Thresholds.Passed():
		return exitThreshold
	}
	return 0
}

// interruptDrain is how long calls may take to end after Ctrl-C.
func (o dialOpts) interruptDrain() time.Duration {
	if o.drain > 0 {
		return o.drain
	}
	return 5 * time.Second
}

// drainer is what the end of the drain is computed from.
type drainer interface {
	MaxHold() time.Duration
	EndsBy() (time.Time, bool)
}

// endDrain is when the calls still up once offering stopped are hung up
// as abandoned (or failed, when still in set-up): --drain after now when
// given; else the longest hold plus 5 s past the time the calls should
// have ended (dialer.Originator.EndsBy: a call still ringing may take its
// --originate-timeout, then its hold). It follows the calls: as ringing
// calls are answered or fail it comes nearer. Without calls in set-up it
// is at most twice the longest hold plus 5 s after offering stopped.
func (o dialOpts) endDrain(now time.Time, d drainer) time.Time {
	if o.drain > 0 {
		return now.Add(o.drain)
	}
	slack := d.MaxHold() + 5*time.Second
	end, ok := d.EndsBy()
	if !ok {
		return now.Add(slack)
	}
	return end.Add(slack)
}

// drainNote says what the drain's end did, from the summaries before and
// after it: answered calls hung up are abandoned, calls still in set-up
// failed, both under SWITCHIO_DRAIN_TIMEOUT (docs/outcomes.md).
func drainNote(before, after summary.Run) string {
	abandoned := after.Abandoned - before.Abandoned
	failed := after.FailedByCause[dialer.CauseDrainTimeout] - before.FailedByCause[dialer.CauseDrainTimeout]
	return fmt.Sprintf("drain time ran out: hung up %d answered %s (abandoned) and %d %s still in set-up (failed), under %s",
		abandoned, plural(abandoned, "call", "calls"), failed, plural(failed, "call", "calls"), dialer.CauseDrainTimeout)
}

func plural(n uint64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
