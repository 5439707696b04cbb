package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/switchio/switchio/measure/summary"

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
// start: a signal during set-up stops the run with its exit code.
func runDial(ctx context.Context, o dialOpts, hosts []string, stdout, stderr io.Writer, sig <-chan os.Signal) (int, error) {
	if o.setupTimeout <= 0 {
		return 1, fmt.Errorf("--setup-timeout must be positive")
	}
	setup := guardSetup(ctx, sig, o.setupTimeout)
	defer setup.end()
	cfg, apps, err := buildConfig(o)
	if err != nil {
		return 1, err
	}
	if len(hosts) > 0 && o.serversSet {
		return 1, fmt.Errorf("--servers sets the number of embedded emulated servers: it cannot be used with HOSTS")
	}
	hosts = normalizeHosts(hosts)
	if err := checkDistinct(hosts); err != nil {
		return 1, err
	}
	if err := checkOutDir(o.out, o.force); err != nil {
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
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	view := newLiveView(stderr, o.statusInterval)
	logger := slog.New(slog.NewTextHandler(view.Logs(), &slog.HandlerOptions{Level: level}))
	if len(hosts) == 0 {
		if o.servers < 1 {
			return 1, fmt.Errorf("--servers must be at least 1")
		}
		emu, err := fsemu.StartCluster(setup.ctx, o.servers, fsemu.Config{Password: o.password})
		if err != nil {
			return setup.failed(fmt.Errorf("start embedded servers: %w", err), stderr)
		}
		defer emu.Close()
		for _, s := range emu.Servers {
			hosts = append(hosts, s.Addr())
		}
		fmt.Fprintf(stderr, "switchio dial: no HOSTS given, dialing through %d embedded emulated servers (%s)\n",
			len(hosts), strings.Join(hosts, ", "))
	}
	sctx, cancel := setup.step()
	pool, err := cluster.NewPool(sctx, hosts, cluster.Config{Password: o.password, Logger: logger})
	cancel()
	if err != nil {
		return setup.failed(err, stderr)
	}
	defer pool.Close()
	var instances []cluster.App
	for _, a := range apps {
		inst, _ := o.registry().New(a.spec)
		instances = append(instances, inst)
	}
	sctx, cancel = setup.step()
	m, err := loadtest.Start(sctx, pool, loadtest.Options{Dir: o.out, Overwrite: o.force, Logger: logger,
		Verdicts: loadtest.VerdictsOf(instances...), Thresholds: o.thresholds})
	cancel()
	if err != nil {
		return setup.failed(err, stderr) // a server's error, or "measured: " and --out's
	}
	started := false
	defer func() {
		if !started {
			m.Abort()
		}
	}()

	var d *dialer.Originator
	downCh := make(chan string, 16)
	cfg.Logger = logger
	var prom *promexport.Exporter
	cfg.OnCall = m.Call
	if o.metricsAddr != "" {
		prom = promexport.New(promexport.Options{Runtime: true})
		cfg.OnCall = prom.OnCall(m.Call)
	}
	cfg.OnServerDown = func(addr string) {
		select {
		case downCh <- addr:
		default:
		}
	}
	sctx, cancel = setup.step()
	d, err = dialer.New(sctx, pool, cfg)
	cancel()
	if err != nil {
		return setup.failed(err, stderr)
	}
	if prom != nil {
		prom.Attach(d)
		pctx, pcancel := context.WithCancel(ctx)
		srv, err := promexport.Serve(pctx, o.metricsAddr, o.metricsRemote, prom.Handler())
		if err != nil {
			pcancel()
			return setup.failed(fmt.Errorf("--metrics-addr: %w", err), stderr)
		}
		defer func() { pcancel(); _ = srv.Wait() }()
		fmt.Fprintf(stderr, "switchio dial: Prometheus metrics at http://%s%s\n", srv.Addr(), promexport.Path)
	}
	closed := false
	gaveUp := false // set-up given up: the servers may be stuck, ask nothing more
	defer func() {
		if !closed {
			wait := 5 * time.Second
			if gaveUp {
				wait = 0
			}
			cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
			_ = d.CloseContext(cctx) // puts the servers' limits back
			ccancel()
			printNotRestored(stderr, d.ServerSettings(), o.password)
		}
	}()
	failed := func(err error) (int, error) {
		gaveUp = setup.gaveUp(err)
		return setup.failed(err, stderr)
	}
	if o.setup {
		sctx, cancel = setup.step()
		err := d.Setup(sctx, dialer.Settings{VerboseEvents: o.verboseEvents})
		cancel()
		if err != nil && !setup.gaveUp(err) {
			err = fmt.Errorf("setup (use --setup=false to skip): %w", err)
		}
		if err != nil {
			return failed(err)
		}
		printLimitsRaised(stderr, d.ServerSettings())
	}
	for _, a := range apps {
		sctx, cancel = setup.step()
		_, err := d.LoadSpec(sctx, o.registry(), a.spec, a.weight)
		cancel()
		if err != nil {
			return failed(err)
		}
	}
	for _, c := range pool.Clients() {
		if cmd, err := d.OriginateCommand(c.Addr()); err == nil {
			logger.Info("originate template", "server", c.Addr(), "cmd", cmd)
		}
	}
	if o.webAddr != "" {
		wctx, wcancel := context.WithCancel(ctx)
		srv, err := web.Serve(wctx, o.webAddr, o.webRemote, d)
		if err != nil {
			wcancel()
			return failed(fmt.Errorf("--web: %w", err))
		}
		defer func() { wcancel(); _ = srv.Wait() }()
		fmt.Fprintf(stderr, "switchio dial: live view at %s\n", srv.URL())
	}
	if s := setup.end(); s != nil {
		gaveUp = true
		fmt.Fprintf(stderr, "switchio dial: %v during set-up: stopped\n", s)
		return signalExitCode(s), nil
	}
	if err := d.Start(); err != nil {
		return 1, err
	}
	started = true
	m.SetWarmup(time.Now().Add(o.warmup))

	var interrupt os.Signal // the first signal, for the exit code
	var drainUntil time.Time
	abandon := func(cause string, wait time.Duration) {
		actx, acancel := context.WithTimeout(ctx, wait)
		if err := d.Abandon(actx, cause); err != nil {
			logger.Warn("hang-up", "err", err)
		}
		acancel()
	}
	t := time.NewTicker(view.period)
	defer t.Stop()
	closeWait := 5 * time.Second
	restoreWait := closeWait // to put the servers' limits back
loop:
	for {
		select {
		case s := <-sig:
			if interrupt != nil {
				view.note(fmt.Sprintf("second %v: recording the calls still up and stopping now", s))
				abandon(dialer.CauseInterrupted, 500*time.Millisecond)
				closeWait, restoreWait = 0, time.Second
				break loop
			}
			interrupt = s
			view.note(fmt.Sprintf("%v: stopping, hanging up this dialer's calls (again to stop at once)", s))
			hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
			if err := d.HupallCause(hctx, dialer.CauseInterrupted); err != nil {
				logger.Warn("hupall", "err", err)
			}
			hcancel()
			_ = d.Flush(ctx)
			_ = m.Flush(d.Summary())
			drainUntil = time.Now().Add(o.interruptDrain())
		case addr := <-downCh:
			view.note("lost the connection to " + addr + " (reconnecting); measurements flushed")
			_ = d.Flush(ctx)
			_ = m.Flush(d.Summary())
		case <-t.C:
		}
		m.Tick(d)
		st := d.Stats()
		view.draw(st)
		if st.AllServersLost {
			view.note("every server unreachable for --server-timeout: stopping")
			abandon(dialer.CauseServerLost, 500*time.Millisecond)
			closeWait, restoreWait = 0, 0
			break loop
		}
		if st.State != dialer.Originating {
			if st.Active == 0 {
				break loop
			}
			until := drainUntil
			if until.IsZero() {
				// --drain is counted from when offering stopped; the
				// default follows the calls still up (endDrain).
				if until = o.endDrain(time.Now(), d); o.drain > 0 {
					drainUntil = until
				}
			}
			if time.Now().After(until) {
				before := d.Summary()
				abandon(dialer.CauseDrainTimeout, 2*time.Second)
				view.note(drainNote(before, d.Summary()))
				break loop
			}
		}
	}
	view.finish(d.Stats())
	// The run is over: put back the servers' limits --setup raised, even
	// after a second Ctrl-C (a reachable server answers at once), before
	// the summary says whether they were.
	rctx, rcancel := context.WithTimeout(ctx, restoreWait)
	_ = d.RestoreSettings(rctx)
	rcancel()
	printNotRestored(stderr, d.ServerSettings(), o.password)
	cctx, ccancel := context.WithTimeout(ctx, closeWait)
	closed = true
	if err := d.CloseContext(cctx); err != nil && closeWait > 0 {
		logger.Warn("close", "err", err)
	}
	ccancel()
	if closeWait == 0 {
		m.CloseNow()
	}
	sm, err := m.Close(d)
	if err != nil {
		fmt.Fprintln(stderr, "switchio dial: writing measurements:", err)
	}
	if o.out != "" && closeWait > 0 {
		// Not after a second interrupt: the user wants out now (switchio
		// report DIR builds it later).
		if path, err := report.Build(o.out, report.Options{}); err != nil {
			fmt.Fprintln(stderr, "switchio dial: report:", err)
		} else {
			fmt.Fprintln(stderr, "switchio dial: report:", path)
		}
	}
	if o.json {
		b, _ := json.MarshalIndent(sm, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		printSummary(stdout, sm, o.out)
		printServerLimits(stdout, sm.ServerSettings, o.password)
	}
	return exitCodeOf(interrupt, sm), nil
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
