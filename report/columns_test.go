package report

import (
	"math"
	"testing"
	"time"

	"github.com/switchio/switchio/measure"
)

// recordRows is the report's former reading of one record, whole: the
// reference the column reading must match.
func (c *collector) recordRows(r *measure.Record) {
	c.records++
	answered := r.Outcome != "failed"
	nan := math.NaN()
	setup, invite, answer, orig := nan, nan, nan, nan
	if answered && !r.CallerAnswer.IsZero() && !r.CallerCreate.IsZero() && !r.CallerAnswer.Before(r.CallerCreate) {
		d := r.CallerAnswer.Sub(r.CallerCreate)
		setup = ms(d)
		_ = c.setupHist.RecordValue(max(d.Microseconds(), 1))
	}
	if d, ok := c.acrossRows(r, r.CallerCreate, r.CalleeCreate); ok {
		invite = ms(d)
	}
	if d, ok := c.acrossRows(r, r.CalleeAnswer, r.CallerAnswer); ok {
		answer = ms(d)
	}
	if !r.JobLaunch.IsZero() && !r.CallerReqOriginate.IsZero() {
		orig = ms(r.CallerReqOriginate.Sub(r.JobLaunch))
	}
	ib := c.byIndex
	ib.add(r.Seq, ixSetup, setup)
	ib.add(r.Seq, ixInvite, invite)
	ib.add(r.Seq, ixAnswer, answer)
	ib.add(r.Seq, ixOriginate, orig)
	ib.add(r.Seq, ixActive, float64(r.ActiveSessions))
	ib.add(r.Seq, ixErlangs, r.Erlangs)
	// FailedCalls counts the failures when the record was written, at
	// the call's end: records come in the order calls ended, which is
	// not the order they were offered (a failed call ends before the
	// answered ones offered earlier). Over the offer index the count
	// would saw-tooth; it is kept over the order of the ends (this is
	// the c.records-th call to end), where it only rises.
	ib.add(c.records-1, ixFailed, float64(r.FailedCalls))
	if answered && !r.LocalAnswer.IsZero() {
		byS := c.perServer[r.Server]
		if byS == nil {
			byS = map[int64]*serverSecond{}
			c.perServer[r.Server] = byS
		}
		sec := r.LocalAnswer.Unix()
		ss := byS[sec]
		if ss == nil {
			ss = &serverSecond{}
			byS[sec] = ss
		}
		ss.answered++
		if !math.IsNaN(setup) {
			ss.setupSum += setup
			ss.setupN++
		}
	}
}

// acrossRows is to - from for times on the caller's and the callee's
// clocks, as measure's aggregator computes invite_latency and
// answer_latency: directly when one server holds both legs, with the
// measured clock offsets otherwise (false when they are unknown).
func (c *collector) acrossRows(r *measure.Record, from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() {
		return 0, false
	}
	if r.CalleeServer == "" || r.CalleeServer == r.Server {
		return to.Sub(from), true
	}
	oc, ok1 := c.offsets[r.Server]
	oe, ok2 := c.offsets[r.CalleeServer]
	if !ok1 || !ok2 {
		return 0, false
	}
	return to.Sub(from) + time.Duration((oe.OffsetMs-oc.OffsetMs)*float64(time.Millisecond)), true
}

// collectRows is collect as it read the CDR before readCalls: every
// record whole, through store.Run.Records.
func collectRows(tb testing.TB, dir string, opts Options) *model {
	tb.Helper()
	run, err := loadRun(dir)
	if err != nil {
		tb.Fatal(err)
	}
	c := newCollector(defaults(opts))
	m, err := collectWith(run, c, func() error {
		for r, err := range run.Records() {
			if err != nil {
				return err
			}
			c.recordRows(&r)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// The report read column by column gives every figure of the report
// read record by record, bit for bit: over runs with one or several
// servers, calls crossing servers with measured clock offsets, failed
// and answered calls, verdicts, without a summary (no offsets), and
// with series reduced to buckets or not.
func TestColumnsMatchRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  genRun
		opts Options
	}{
		{"one server", genRun{calls: 2000, rate: 100, servers: 1, hold: 2 * time.Second}, Options{}},
		{"crossed servers", genRun{calls: 5000, rate: 200, servers: 2, hold: 3 * time.Second, crossed: true, verdicts: true}, Options{}},
		{"crossed, no summary", genRun{calls: 3000, rate: 200, servers: 3, hold: time.Second, crossed: true, noSummary: true}, Options{}},
		{"several row groups", genRun{calls: 20000, rate: 500, servers: 4, hold: 5 * time.Second, crossed: true, partRows: 3000}, Options{MaxPoints: 300}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.run.write(t, dir)
			opts := defaults(tc.opts)
			want := collectRows(t, dir, opts)
			run, err := loadRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := collect(run, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.Records != want.Records || got.Records != int64(tc.run.calls) {
				t.Fatalf("%d records, rows give %d, %d written", got.Records, want.Records, tc.run.calls)
			}
			sameCharts(t, got.Charts, want.Charts)
			if len(got.Empty) != len(want.Empty) {
				t.Errorf("empty charts %q, rows give %q", got.Empty, want.Empty)
			}
		})
	}
}

// sameCharts fails unless got and want hold the same charts with the same
// values, bit for bit (a NaN matches a NaN).
func sameCharts(t *testing.T, got, want []*chart) {
	t.Helper()
	same := func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
				return false
			}
		}
		return true
	}
	if len(got) != len(want) {
		t.Fatalf("%d charts, rows give %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.ID != w.ID || g.Note != w.Note || g.XLabel != w.XLabel || len(g.Series) != len(w.Series) {
			t.Errorf("chart %d: %s %q %q with %d series, rows give %s %q %q with %d", i, g.ID, g.Note, g.XLabel, len(g.Series), w.ID, w.Note, w.XLabel, len(w.Series))
			continue
		}
		if !same(g.Xs, w.Xs) {
			t.Errorf("chart %s: xs differ", g.ID)
		}
		for j := range g.Series {
			if g.Series[j].Label != w.Series[j].Label || !same(g.Series[j].Values, w.Series[j].Values) {
				t.Errorf("chart %s series %s: %v, rows give %s: %v", g.ID, g.Series[j].Label, g.Series[j].Values, w.Series[j].Label, w.Series[j].Values)
			}
		}
	}
}
