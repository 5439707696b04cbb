// Package loadtest measures a load test: it wires a dialer run to the
// collectors that watch the servers (package collect: the call records
// and system statistics), to package measure's figures and per-second
// series, and to measure/store (Parquet and CSV under a directory,
// crash-safe), so that switchio dial, the benchmarks and Go programs
// record a run the same way.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/switchio/switchio/collect"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
	"github.com/switchio/switchio/measure/threshold"
)

// Run is a load test's measurement: the CDR (one record per offered
// call), the catalogue's figures, the per-second series and system
// statistics, written under a directory as they come (measure/store) and
// summarised in summary.json. Without a directory the figures still go
// to the summary. Give its Call method to dialer.Config.OnCall.
type Run struct {
	log *slog.Logger
	w   *store.Writer // nil without --out
	cdr *collect.CallRecorder
	ts  *measure.TimeSeries
	sys *collect.SysStats

	mu  sync.Mutex
	agg *measure.Aggregator
	err error // the first write error

	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closed     bool
	thresholds threshold.List
}

// Options configure a Run.
type Options struct {
	// Dir is where the run's files go ("": figures only, in the summary).
	Dir string
	// Overwrite lets Dir hold an earlier run's files.
	Overwrite bool
	// SysStats configures system statistics (its Servers default to the
	// pool's clients); NoSysStats turns them off.
	SysStats   collect.SysStatsConfig
	NoSysStats bool
	// Verdicts declares the verdict columns of the run's apps (see
	// measure.Verdicter; VerdictsOf collects them).
	Verdicts []measure.VerdictSpec
	// Thresholds are evaluated on the final figures into the summary
	// (summary.Run.Thresholds).
	Thresholds threshold.List
	// Logger receives write errors (nil discards them).
	Logger *slog.Logger
}

// VerdictsOf collects the verdict columns the apps declare, each name
// once. The RTP check's columns are a run's own (Start adds them).
func VerdictsOf(apps ...cluster.App) []measure.VerdictSpec {
	var out []measure.VerdictSpec
	seen := map[string]bool{}
	for _, a := range apps {
		v, ok := a.(measure.Verdicter)
		if !ok {
			continue
		}
		for _, sp := range v.Verdicts() {
			if !seen[sp.Name] {
				seen[sp.Name] = true
				out = append(out, sp)
			}
		}
	}
	return out
}

// withRTPCheck adds the RTP check's columns (measure.RTPVerdicts) to a
// run's verdicts unless declared: every run checks the RTP of the calls
// of apps that need audio (measure.AudioReceiver), declared by
// VerdictsOf or not.
func withRTPCheck(specs []measure.VerdictSpec) []measure.VerdictSpec {
	for _, sp := range specs {
		if sp.Name == measure.VerdictRTPOK {
			return specs
		}
	}
	return append(slices.Clip(specs), measure.RTPVerdicts()...)
}

// Start attaches the CDR to the pool (before the dialer is created, so a
// call's events are seen here before the dialer reports it finished),
// opens the store under opts.Dir and starts system statistics.
func Start(ctx context.Context, pool *cluster.Pool, opts Options) (*Run, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Verdicts = withRTPCheck(opts.Verdicts)
	m := &Run{log: opts.Logger, agg: measure.NewAggregator(time.Time{}), thresholds: opts.Thresholds}
	m.agg.SetVerdicts(opts.Verdicts)
	if opts.Dir != "" {
		w, err := store.Create(opts.Dir, store.Options{Overwrite: opts.Overwrite, Verdicts: opts.Verdicts})
		if err != nil {
			return nil, fmt.Errorf("loadtest: %w", err)
		}
		m.w = w
	}
	m.ts = measure.NewTimeSeries(func(s measure.Second) {
		if m.w != nil {
			m.keep(m.w.WriteSecond(&s))
		}
	})
	m.ts.SetVerdicts(opts.Verdicts)
	m.cdr = collect.NewCallRecorder(collect.CallRecorderConfig{LoadTest: true, OnRecord: m.onRecord, Verdicts: opts.Verdicts})
	if err := m.cdr.Attach(ctx, pool); err != nil {
		m.Abort()
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.cdr.Run(rctx) }()
	if !opts.NoSysStats {
		cfg := opts.SysStats
		if cfg.Servers == nil {
			cfg.Servers = pool.Clients()
		}
		m.sys = collect.NewSysStats(cfg)
		m.wg.Add(2)
		go func() { defer m.wg.Done(); _ = m.sys.Run(rctx) }()
		go func() {
			defer m.wg.Done()
			for r := range m.sys.Rows() {
				if m.w != nil {
					m.keep(m.w.WriteSysStat(&r))
				}
			}
		}()
	}
	return m, nil
}

func (m *Run) onRecord(r measure.Record) {
	m.mu.Lock()
	m.agg.Add(r)
	m.mu.Unlock()
	m.ts.Add(r)
	if m.w != nil {
		m.keep(m.w.WriteRecord(&r))
	}
}

// keep remembers the first write error (a full disk): measurement goes
// on in memory and the run reports it at the end.
func (m *Run) keep(err error) {
	if err == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err == nil {
		m.err = err
		m.log.Error("writing measurements", "err", err)
	}
}

// SetWarmup leaves the calls offered before end out of the figures (they
// are reported apart); call it when the dialer starts.
func (m *Run) SetWarmup(end time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.agg.SetWarmupEnd(end)
}

// Call gives the dialer's record of one offered call to the CDR: use it
// as dialer.Config.OnCall.
func (m *Run) Call(r dialer.CallOutcome) { m.cdr.Complete(r.Facts()) }

// Tick moves the time series on to the dialer's watermark; call it about
// once a second.
func (m *Run) Tick(d *dialer.Originator) { m.ts.Advance(d.Watermark()) }

// CDRStats returns the CDR's counters (calls in flight, records).
func (m *Run) CDRStats() collect.CallRecorderStats { return m.cdr.Stats() }

// Summary adds the catalogue's figures to the dialer's summary.
func (m *Run) Summary(sm summary.Run) summary.Run {
	m.agg.SetClockOffsets(m.cdr.ClockOffsets())
	res := m.cdr.ClockResolutions()
	m.mu.Lock()
	m.agg.SetClockResolutions(res)
	ms := m.agg.Summary()
	m.mu.Unlock()
	sm.Metrics = &ms
	useCatalogueSetup(&sm)
	return sm
}

// useCatalogueSetup makes the summary's local_setup_latency the
// catalogue's (calls after the warm-up, timed by the CDR), overall and
// per server: one figure, one value wherever it is named.
func useCatalogueSetup(sm *summary.Run) {
	conv := func(f measure.Figures) summary.Latency {
		p := f.Latencies[measure.MetricLocalSetupLatency]
		return summary.Latency{Count: p.Count, P50: p.P50, P90: p.P90, P99: p.P99, Max: p.Max}
	}
	per := make(map[string]summary.Latency, len(sm.Metrics.PerServer))
	for addr, f := range sm.Metrics.PerServer {
		per[addr] = conv(f)
	}
	sm.UseLocalSetupLatency(conv(sm.Metrics.Figures), per)
}

// Flush makes what was measured so far durable: the store's parts and
// summary.json.
func (m *Run) Flush(sm summary.Run) error {
	if m.w == nil {
		return nil
	}
	return errors.Join(m.w.Flush(), m.w.WriteSummary(m.Summary(sm)))
}

// CloseNow makes Close write the records still waiting for an app's
// verdict at once, without it: for a second interrupt.
func (m *Run) CloseNow() { m.cdr.CloseNow() }

// Close writes what is left (calls whose end never came, open seconds),
// stops system statistics and closes the store with the final summary.
// Close the dialer first, so its last records are in. Records waiting
// for an app's verdict wait for it up to the CDR's VerdictWait.
func (m *Run) Close(d *dialer.Originator) (summary.Run, error) {
	m.cdr.Close()
	m.ts.Close()
	m.stop()
	sm := m.Summary(d.Summary())
	if len(m.thresholds) > 0 {
		sm.Thresholds = m.thresholds.Evaluate(sm.Metrics)
	}
	if m.w == nil {
		return sm, nil
	}
	err := errors.Join(m.w.WriteSummary(sm), m.w.Close())
	m.mu.Lock()
	err = errors.Join(m.err, err)
	m.mu.Unlock()
	return sm, err
}

func (m *Run) stop() {
	if m.closed {
		return
	}
	m.closed = true
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
}

// Abort stops everything without a summary (the run did not start).
func (m *Run) Abort() {
	m.stop()
	if m.w != nil {
		_ = m.w.Close()
	}
}
