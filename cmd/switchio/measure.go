package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

// runMeasures is a run's measurement: the CDR (one record per offered
// call), the catalogue's figures, the per-second series and system
// statistics, written under --out as they come (measure/store) and
// summarised in summary.json. Without --out the figures still go to the
// summary.
type runMeasures struct {
	log *slog.Logger
	w   *store.Writer // nil without --out
	cdr *measure.CDR
	ts  *measure.TimeSeries
	sys *measure.SysStats

	mu  sync.Mutex
	agg *measure.Aggregator
	err error // the first write error

	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// startMeasures attaches the CDR to the pool (before the dialer, so a
// call's events are seen here before the dialer reports it finished),
// opens the store under dir (when set) and starts system statistics.
func startMeasures(ctx context.Context, dir string, force bool, pool *cluster.Pool, log *slog.Logger) (*runMeasures, error) {
	m := &runMeasures{log: log, agg: measure.NewAggregator(time.Time{})}
	if dir != "" {
		w, err := store.Create(dir, store.Options{Overwrite: force})
		if err != nil {
			return nil, fmt.Errorf("--out: %w", err)
		}
		m.w = w
	}
	m.ts = measure.NewTimeSeries(func(s measure.Second) {
		if m.w != nil {
			m.keep(m.w.WriteSecond(&s))
		}
	})
	m.cdr = measure.NewCDR(measure.CDRConfig{LoadTest: true, OnRecord: m.onRecord})
	if err := m.cdr.Attach(ctx, pool); err != nil {
		m.abort()
		return nil, err
	}
	m.sys = measure.NewSysStats(measure.SysStatsConfig{Servers: pool.Clients()})
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.wg.Add(3)
	go func() { defer m.wg.Done(); _ = m.sys.Run(rctx) }()
	go func() {
		defer m.wg.Done()
		for r := range m.sys.Rows() {
			if m.w != nil {
				m.keep(m.w.WriteSysStat(&r))
			}
		}
	}()
	go func() { defer m.wg.Done(); m.cdr.Run(rctx) }()
	return m, nil
}

func (m *runMeasures) onRecord(r measure.Record) {
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
func (m *runMeasures) keep(err error) {
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

// setWarmup leaves the calls offered before end out of the figures (they
// are reported apart).
func (m *runMeasures) setWarmup(end time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.agg.SetWarmupEnd(end)
}

// call gives the dialer's record of one offered call to the CDR.
func (m *runMeasures) call(r dialer.CallRecord) { m.cdr.Complete(r.Facts()) }

// tick moves the time series on to the dialer's watermark.
func (m *runMeasures) tick(d *dialer.Originator) { m.ts.Advance(d.Watermark()) }

// summary adds the catalogue's figures to the dialer's summary.
func (m *runMeasures) summary(sm dialer.Summary) dialer.Summary {
	m.agg.SetClockOffsets(m.cdr.ClockOffsets())
	m.mu.Lock()
	ms := m.agg.Summary()
	m.mu.Unlock()
	sm.Metrics = &ms
	return sm
}

// flush makes what was measured so far durable: the store's parts and
// summary.json.
func (m *runMeasures) flush(sm dialer.Summary) error {
	if m.w == nil {
		return nil
	}
	return errors.Join(m.w.Flush(), m.w.WriteSummary(m.summary(sm)))
}

// close writes what is left (calls whose end never came, open seconds),
// stops system statistics and closes the store with the final summary.
// The dialer must be closed first: its last records are in.
func (m *runMeasures) close(d *dialer.Originator) (dialer.Summary, error) {
	m.cdr.Close()
	m.ts.Close()
	m.stop()
	sm := m.summary(d.Summary())
	if m.w == nil {
		return sm, nil
	}
	err := errors.Join(m.w.WriteSummary(sm), m.w.Close())
	m.mu.Lock()
	err = errors.Join(m.err, err)
	m.mu.Unlock()
	return sm, err
}

func (m *runMeasures) stop() {
	if m.closed {
		return
	}
	m.closed = true
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
}

// abort stops everything without a summary (the run did not start).
func (m *runMeasures) abort() {
	m.stop()
	if m.w != nil {
		_ = m.w.Close()
	}
}
