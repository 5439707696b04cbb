package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/measure/summary"
)

// Plan is a measured load test as switchio dial runs it: a dialer over a
// pool of servers, its apps loaded from a registry, the servers' limits
// raised for the run, and every call measured (Options).
type Plan struct {
	// Pool is the servers' pool; the caller owns it and closes it after
	// the test.
	Pool *cluster.Pool
	// Dialer configures the dialer. Its OnCall, when set, sees each
	// call's outcome after the measurement has taken it.
	Dialer dialer.Config
	// Apps are the apps calls are placed for, by spec ("Name/key=value")
	// and weight, looked up in Registry.
	Apps     []AppSpec
	Registry *appkit.Registry
	// Measure configures the measurement: its directory, verdicts (the
	// apps' are added), thresholds and logger.
	Measure Options
	// Settings, when set, raises the servers' limits the run needs
	// (dialer.Originator.Setup); Close puts them back.
	Settings *dialer.Settings
	// StepTimeout bounds each set-up step (connecting, the settings, each
	// app's set-up); 0 leaves them to ctx.
	StepTimeout time.Duration
	// Warmup leaves the calls offered in its first span out of the
	// figures.
	Warmup time.Duration
}

// ErrSettings marks Prepare's error when the servers' limits could not be
// raised (Plan.Settings).
var ErrSettings = errors.New("setting the servers' limits")

// AppSpec is an app to load with its weight.
type AppSpec struct {
	Spec   string
	Weight int
}

// Test is a measured load test, prepared (Prepare) and then started.
type Test struct {
	// Dialer places the calls; Measure records them. Both are the
	// test's: end them with Close or End.
	Dialer  *dialer.Originator
	Measure *Run
	log     *slog.Logger
	warmup  time.Duration
}

// PrepareError is Prepare's error once it had changed the servers' limits:
// Settings tells whether they were put back (summary.ServerSetting's
// Restored and RestoreCommands), for the user to finish by hand.
type PrepareError struct {
	Err      error
	Settings []summary.ServerSetting
}

func (e *PrepareError) Error() string { return e.Err.Error() }
func (e *PrepareError) Unwrap() error { return e.Err }

// Prepare sets the test up, ready to Start: the measurement attached to
// the pool first (so it sees every call's events), then the dialer, the
// settings and the apps. When a step fails, what it started is closed
// (limits put back; at once when ctx is done: the servers may be stuck)
// and the error returned.
func Prepare(ctx context.Context, p Plan) (*Test, error) {
	if p.Pool == nil || p.Registry == nil {
		return nil, errors.New("loadtest: a plan needs a Pool and a Registry")
	}
	var instances []cluster.App
	for _, a := range p.Apps {
		inst, err := p.Registry.New(a.Spec)
		if err != nil {
			return nil, err
		}
		instances = append(instances, inst)
	}
	mo := p.Measure
	mo.Verdicts = append(VerdictsOf(instances...), mo.Verdicts...)
	sctx, cancel := p.step(ctx)
	m, err := Start(sctx, p.Pool, mo)
	cancel()
	if err != nil {
		return nil, err
	}
	cfg := p.Dialer
	if next := cfg.OnCall; next != nil {
		cfg.OnCall = func(r dialer.CallOutcome) { m.Call(r); next(r) }
	} else {
		cfg.OnCall = m.Call
	}
	if cfg.Logger == nil {
		cfg.Logger = m.log
	}
	sctx, cancel = p.step(ctx)
	d, err := dialer.New(sctx, p.Pool, cfg)
	cancel()
	if err != nil {
		m.Abort()
		return nil, err
	}
	t := &Test{Dialer: d, Measure: m, log: cfg.Logger, warmup: p.Warmup}
	if err := p.prepare(ctx, d, cfg.Logger); err != nil {
		wait := 5 * time.Second
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			wait = 0
		}
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
		_ = d.CloseContext(cctx) // puts the servers' limits back
		ccancel()
		m.Abort()
		return nil, &PrepareError{Err: err, Settings: d.ServerSettings()}
	}
	return t, nil
}

// Start starts offering calls. Whether it fails or not, the test is ended
// with Close or End.
func (t *Test) Start() error {
	if err := t.Dialer.Start(); err != nil {
		return err
	}
	t.Measure.SetWarmup(time.Now().Add(t.warmup))
	return nil
}

// prepare applies the settings and loads the apps.
func (p *Plan) prepare(ctx context.Context, d *dialer.Originator, log *slog.Logger) error {
	if p.Settings != nil {
		sctx, cancel := p.step(ctx)
		err := d.Setup(sctx, *p.Settings)
		cancel()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSettings, err)
		}
	}
	for _, a := range p.Apps {
		sctx, cancel := p.step(ctx)
		_, err := d.LoadSpec(sctx, p.Registry, a.Spec, a.Weight)
		cancel()
		if err != nil {
			return err
		}
	}
	for _, c := range p.Pool.Clients() {
		if cmd, err := d.OriginateCommand(c.Addr()); err == nil {
			log.Info("originate template", "server", c.Addr(), "cmd", cmd)
		}
	}
	return nil
}

// step returns the context of one set-up step.
func (p *Plan) step(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.StepTimeout > 0 {
		return context.WithTimeout(ctx, p.StepTimeout)
	}
	return context.WithCancel(ctx)
}

// Ending bounds how long the end of a test may take: Restore to put the
// servers' limits back, Calls for the dialer's calls to end (0: recorded
// as they are at once, the measurement waiting for no late verdict).
type Ending struct {
	Restore, Calls time.Duration
}

// defaultEnding is the end of a test that finished or was stopped once.
var defaultEnding = Ending{Restore: 5 * time.Second, Calls: 5 * time.Second}

// Close ends the test (End with 5 s for each part) and returns the run's
// summary.
func (t *Test) Close(ctx context.Context) (summary.Run, error) { return t.End(ctx, defaultEnding) }

// End ends the test within e: the servers' limits put back, the dialer
// closed (its calls hung up), the measurement flushed and closed. It
// returns the run's summary and the measurement's error, if any: a summary
// is returned either way.
func (t *Test) End(ctx context.Context, e Ending) (summary.Run, error) {
	rctx, rcancel := context.WithTimeout(ctx, e.Restore)
	_ = t.Dialer.RestoreSettings(rctx)
	rcancel()
	cctx, ccancel := context.WithTimeout(ctx, e.Calls)
	if err := t.Dialer.CloseContext(cctx); err != nil && e.Calls > 0 {
		t.log.Warn("close", "err", err)
	}
	ccancel()
	if e.Calls == 0 {
		t.Measure.CloseNow()
	}
	return t.Measure.Close(t.Dialer)
}
