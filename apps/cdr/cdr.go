// Package cdr provides the CDR app, switchio's call-detail recorder as an
// app: loaded on servers (under any app id, or several), it records every
// call seen there, whatever app handles it, one record per call, and
// writes them under a directory as a load test does (cdr.parquet,
// calls.csv, summary.json with the catalogue's figures).
package cdr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/collect"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

// CDR records the calls of every app id on the servers it is loaded on.
// Load one instance shared by all servers (appkit.Shared): a call's legs may
// be on two of them, and loading it again (another app id) counts no call
// twice.
type CDR struct {
	// Dir is where the records go; empty keeps only the figures, logged
	// at unload.
	Dir string `param:"dir" help:"directory for cdr.parquet, calls.csv and summary.json"`
	// Force lets Dir hold an earlier run's files.
	Force bool `param:"force" help:"write into a directory holding an earlier run"`
	// Verdicts declares the verdict columns of the apps whose calls it
	// records (see measure.Verdicter).
	Verdicts []measure.VerdictSpec `param:"-"`

	mu      sync.Mutex
	cdr     *collect.CallRecorder
	w       *store.Writer
	agg     *measure.Aggregator
	loaded  map[*cluster.Client]int
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	summary measure.MetricsSummary
}

// Description implements appkit.Describer.
func (a *CDR) Description() string {
	return "Records every call on its servers (all app ids) to dir: cdr.parquet, calls.csv, summary.json."
}

// Setup implements cluster.App: the first Setup opens the store; each
// server is attached once.
func (a *CDR) Setup(ctx context.Context, r *cluster.Registrar) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cdr == nil {
		if err := a.start(); err != nil {
			return err
		}
	}
	c := r.Client()
	a.loaded[c]++
	return a.cdr.AttachClient(ctx, c)
}

// start opens the store and the CDR; a.mu held.
func (a *CDR) start() error {
	if a.Dir != "" {
		w, err := store.Create(a.Dir, store.Options{Overwrite: a.Force, Verdicts: a.Verdicts})
		if err != nil {
			return fmt.Errorf("cdr: %w", err)
		}
		a.w = w
	}
	a.agg = measure.NewAggregator(time.Time{})
	a.agg.SetVerdicts(a.Verdicts)
	a.loaded = map[*cluster.Client]int{}
	m := collect.NewCallRecorder(collect.CallRecorderConfig{OnRecord: a.record, Verdicts: a.Verdicts, AppOf: a.appOf})
	a.cdr = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	a.cancel, a.done = cancel, done
	go func() { defer close(done); m.Run(ctx) }()
	return nil
}

// appOf names the apps that handle a session: those loaded under its app
// id on its server, the CDR itself left out ("Proxier", "TonePlay+Router").
func (a *CDR) appOf(c *cluster.Client, s *cluster.Session) string {
	var names []string
	for _, n := range c.Apps(s.AppID()) {
		if n != cluster.AppName(a) {
			names = append(names, n)
		}
	}
	return strings.Join(names, "+")
}

func (a *CDR) record(r measure.Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.agg.Add(r)
	if a.w != nil {
		if err := a.w.WriteRecord(&r); err != nil && a.err == nil {
			a.err = err
		}
	}
}

// Teardown implements cluster.Teardowner: when the last load is
// unloaded, calls still up are recorded as seen so far and the files are
// closed with the summary.
func (a *CDR) Teardown(ctx context.Context, c *cluster.Client) error {
	a.mu.Lock()
	if a.cdr == nil {
		a.mu.Unlock()
		return nil
	}
	a.loaded[c]--
	if a.loaded[c] <= 0 {
		delete(a.loaded, c)
	}
	if len(a.loaded) > 0 {
		a.mu.Unlock()
		return nil
	}
	cdr, w, cancel, done := a.cdr, a.w, a.cancel, a.done
	a.cdr = nil
	a.mu.Unlock()
	cdr.Close()
	cancel()
	<-done
	a.mu.Lock()
	defer a.mu.Unlock()
	a.agg.SetClockOffsets(cdr.ClockOffsets())
	a.agg.SetClockResolutions(cdr.ClockResolutions())
	a.summary = a.agg.Summary()
	a.w = nil
	if w == nil {
		return a.err
	}
	return errors.Join(a.err, w.WriteSummary(a.summary), w.Close())
}

// Summary returns the figures of the last run, after Teardown.
func (a *CDR) Summary() measure.MetricsSummary {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.summary
}
