package measure

import (
	"math"
	"testing"
	"time"
)

func TestTimeSeries(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var rows []Second
	ts := NewTimeSeries(func(s Second) { rows = append(rows, s) })
	// A: offered at 0.1 s, answered at 0.3 s (set-up 200 ms), completed
	// at 2.8 s. B: offered at 0.5 s, failed USER_BUSY at 1.2 s. C:
	// offered at 3.5 s, answered at 3.6 s, dropped at 3.9 s.
	ts.Add(Record{Outcome: "completed", JobLaunch: at(100), CallerReqOriginate: at(100), LocalAnswer: at(300), LocalHangup: at(2800)})
	ts.Add(Record{Outcome: "failed", HangupCause: "USER_BUSY", JobLaunch: at(500), CallerReqOriginate: at(500), LocalHangup: at(1200)})
	// Nothing is final before the watermark: C is still in flight from
	// 3.5 s.
	ts.Advance(at(3500))
	if len(rows) != 3 {
		t.Fatalf("%d rows before the watermark, want seconds 0, 1, 2", len(rows))
	}
	ts.Add(Record{Outcome: "dropped", JobLaunch: at(3500), CallerReqOriginate: at(3500), LocalAnswer: at(3600), LocalHangup: at(3900)})
	ts.Close()
	want := []struct {
		offered, answered, failed, completed, dropped, active int64
		erlangs                                               float64
		setupP50                                              float64
	}{
		{2, 1, 0, 0, 0, 2, 0.7, 200}, // A up from 0.3 s; B up
		{0, 0, 1, 0, 0, 1, 1, 0},     // B failed; A held all second
		{0, 0, 0, 1, 0, 0, 0.8, 0},   // A completed at 2.8 s
		{1, 1, 0, 0, 1, 0, 0.3, 100}, // C offered, answered, dropped
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if !r.Second.Equal(t0.Add(time.Duration(i) * time.Second)) {
			t.Errorf("row %d: second %v", i, r.Second)
		}
		if r.Offered != w.offered || r.Answered != w.answered || r.Failed != w.failed || r.Completed != w.completed ||
			r.Dropped != w.dropped || r.Active != w.active || r.Erlangs != w.erlangs {
			t.Errorf("row %d: %+v, want %+v", i, r, w)
		}
		if (w.setupP50 == 0) != (r.SetupP50Ms == nil) || (r.SetupP50Ms != nil && math.Abs(*r.SetupP50Ms-w.setupP50) > w.setupP50/100) {
			t.Errorf("row %d: set-up p50 %v, want %v", i, r.SetupP50Ms, w.setupP50)
		}
	}
	if rows[1].FailedByCause["USER_BUSY"] != 1 {
		t.Errorf("failed by cause %v", rows[1].FailedByCause)
	}
}

// A call stuck in flight (its watermark never moves) holds at most MaxOpen
// of seconds open.
func TestTimeSeriesBoundedOpen(t *testing.T) {
	t0 := time.Unix(2_000_000, 0)
	var rows []Second
	ts := NewTimeSeries(func(s Second) { rows = append(rows, s) })
	for i := 0; i < 1000; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		ts.Add(Record{Outcome: "completed", JobLaunch: at, CallerReqOriginate: at, LocalAnswer: at, LocalHangup: at.Add(time.Second)})
		ts.Advance(t0) // the stuck call's offer time
	}
	if open := len(ts.open); open > int(MaxOpen/time.Second)+2 {
		t.Fatalf("%d seconds open, want at most %v of them", open, MaxOpen)
	}
	if len(rows) == 0 || rows[0].Offered != 1 {
		t.Fatalf("rows %d, first %+v", len(rows), rows)
	}
}

// Calls with a media check verdict are counted in the second they end,
// failed ones apart; verdicts that are not checks are not counted.
func TestTimeSeriesMediaChecks(t *testing.T) {
	t0 := time.Unix(2_000_000, 0)
	var rows []Second
	ts := NewTimeSeries(func(s Second) { rows = append(rows, s) })
	ts.SetVerdicts([]VerdictSpec{{Name: "dtmf_ok", Kind: KindBool, Check: true}, {Name: "recorded", Kind: KindBool}})
	no, yes := false, true
	for i, v := range []map[string]Value{
		{"dtmf_ok": {Bool: &yes}},
		{"dtmf_ok": {Bool: &no}},
		{"recorded": {Bool: &no}},
		nil,
	} {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		ts.Add(Record{Outcome: "completed", JobLaunch: at, LocalAnswer: at, LocalHangup: at.Add(1500 * time.Millisecond), Verdicts: v})
	}
	ts.Close()
	var checked, failed int64
	for _, r := range rows {
		checked += r.MediaChecked
		failed += r.MediaFailed
	}
	if checked != 2 || failed != 1 || rows[1].MediaChecked != 2 {
		t.Fatalf("checked %d, failed %d: %+v", checked, failed, rows)
	}
}
