package store

import (
	"encoding/csv"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchio/switchio/measure"
)

// collect ranges over seq, failing t on an error.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestLoadRoundTrip(t *testing.T) {
	var volume []measure.Record
	for i := range 250 {
		volume = append(volume, genRecord(i))
	}
	for _, tc := range []struct {
		name     string
		recs     []measure.Record
		partRows int
	}{
		{"records of every kind, one part", testRecords(), 0},
		{"records of every kind, a part each", testRecords(), 1},
		{"small and copied row groups", volume, 100},
		{"no rows", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var secs []measure.Second
			var stats []measure.SysStat
			for i := range len(tc.recs) / 2 {
				secs = append(secs, genSecond(i))
				stats = append(stats, genSysStats(i)...)
			}
			writeRun(t, dir, Options{Verdicts: testVerdicts, FlushInterval: -1, PartRows: tc.partRows}, tc.recs, secs, stats)
			run, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !run.Closed {
				t.Error("Closed false after Close")
			}
			if diff := cmp.Diff(testVerdicts, run.Verdicts); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			var want []measure.Record
			for _, r := range tc.recs {
				want = append(want, readBack(r))
			}
			if diff := cmp.Diff(want, collect(t, run.Records())); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			for i := range secs {
				if secs[i].FailedByCause == nil {
					secs[i].FailedByCause = map[string]int64{}
				}
			}
			if diff := cmp.Diff(secs, collect(t, run.Seconds()), cmp.Comparer(func(a, b map[string]int64) bool {
				return len(a) == len(b) && cmp.Equal(a, b)
			})); diff != "" {
				t.Errorf("seconds (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(stats, collect(t, run.SysStats())); diff != "" {
				t.Errorf("sysstats (-want +got):\n%s", diff)
			}
			// A closed run holds its final files only.
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if want := []string{CSVFile, CDRTable + parquetExt, SysStatsTable + parquetExt, TimeSeriesTable + parquetExt}; !slices.Equal(names, want) {
				t.Errorf("files %v, want %v", names, want)
			}
		})
	}
}

func TestRecordsStopEarly(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, Options{Verdicts: testVerdicts, FlushInterval: -1, PartRows: 2}, testRecords(), nil, nil)
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("%d records before break, want 3", n)
	}
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	recs := testRecords()
	writeRun(t, dir, Options{Verdicts: testVerdicts, FlushInterval: -1}, recs, nil, nil)
	f, err := os.Open(filepath.Join(dir, CSVFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(recs) {
		t.Fatalf("%d CSV rows, want a header and %d", len(rows), len(recs))
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, tc := range []struct {
		column string
		row    int
		want   string
	}{
		{"call_id", 0, recs[0].CallID},
		{"destination", 0, "sip:Ωμέγα@例え.jp"},
		{"destination", 1, ""},
		{"destination", 3, "\"Bob, Jr.\" <sip:bob@example.com>\nline two"},
		{"job_launch", 0, "2025-03-14T15:09:26.535897Z"},
		{"caller_req_originate", 0, "2025-03-14T15:09:26.535900Z"},
		{"caller_answer", 1, ""},
		{"q850_cause", 1, "17"},
		{"billsec", 1, ""},
		{"erlangs", 0, "11.5"},
		{"caller_rtp_jitter_max_ms", 0, "3.25"},
		{"caller_rtp_mos", 2, ""},
		{"caller_rtp_out_packets", 2, "40"},
		{"callee_rtp_in_packets", 1, ""},
		{"verdict_tone_ok", 0, "true"},
		{"verdict_tone_ok", 2, "false"},
		{"verdict_tones", 3, "-7"},
		{"verdict_freq_hz", 0, "440.5"},
		{"verdict_note", 0, "ton entendu — ✓"},
		{"verdict_note", 3, ""},
		{"verdict_note", 4, ""},
	} {
		i, ok := col[tc.column]
		if !ok {
			t.Errorf("no CSV column %q in %v", tc.column, rows[0])
			continue
		}
		if got := rows[1+tc.row][i]; got != tc.want {
			t.Errorf("row %d %s = %q, want %q", tc.row, tc.column, got, tc.want)
		}
	}
}

func TestVerdictErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []measure.VerdictSpec
		rec   measure.Record
		want  error // from Create when the record is zero, else from WriteRecord
	}{
		{"undeclared", testVerdicts, measure.Record{Verdicts: map[string]measure.Value{"other": {Bool: ptr(true)}}}, ErrUndeclaredVerdict},
		{"wrong kind", testVerdicts, measure.Record{Verdicts: map[string]measure.Value{"tones": {Bool: ptr(true)}}}, ErrVerdictKind},
		{"two values", testVerdicts, measure.Record{Verdicts: map[string]measure.Value{"tones": {Int: ptr[int64](1), Float: ptr(1.0)}}}, ErrVerdictKind},
		{"kinds conflict", []measure.VerdictSpec{{Name: "x", Kind: measure.KindBool}, {Name: "x", Kind: measure.KindInt}}, measure.Record{}, ErrVerdictKind},
		{"not snake_case", []measure.VerdictSpec{{Name: "Tone OK", Kind: measure.KindBool}}, measure.Record{}, ErrVerdictKind},
		{"unknown kind", []measure.VerdictSpec{{Name: "x"}}, measure.Record{}, ErrVerdictKind},
		{"same name and kind twice", []measure.VerdictSpec{{Name: "x", Kind: measure.KindBool}, {Name: "x", Kind: measure.KindBool}},
			measure.Record{Verdicts: map[string]measure.Value{"x": {Bool: ptr(true)}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Create(dir, Options{Verdicts: tc.specs, FlushInterval: -1})
			if tc.rec.Verdicts == nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Create: %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteRecord(&tc.rec); !errors.Is(err, tc.want) {
				t.Errorf("WriteRecord: %v, want %v", err, tc.want)
			}
			// The run goes on: a good record is written.
			if err := w.WriteRecord(&measure.Record{CallID: "next"}); err != nil {
				t.Errorf("WriteRecord after: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			run, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			wantRows := 1
			if tc.want == nil {
				wantRows = 2
			}
			if got := len(collect(t, run.Records())); got != wantRows {
				t.Errorf("%d records, want %d", got, wantRows)
			}
		})
	}
}

func TestCreateOverEarlierRun(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, Options{Verdicts: testVerdicts, FlushInterval: -1}, testRecords(), nil, nil)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(dir, Options{FlushInterval: -1}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over a run: %v, want fs.ErrExist", err)
	}
	writeRun(t, dir, Options{Verdicts: testVerdicts, FlushInterval: -1, Overwrite: true}, testRecords()[:1], nil, nil)
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(collect(t, run.Records())); got != 1 {
		t.Errorf("%d records after Overwrite, want 1", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("Overwrite removed a file not of the run: %v", err)
	}
}

func TestClosedWriter(t *testing.T) {
	w, err := Create(t.TempDir(), Options{}) // with the flusher goroutine: goleak checks Close stops it
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for name, write := range map[string]func() error{
		"WriteRecord":  func() error { return w.WriteRecord(&measure.Record{}) },
		"WriteSecond":  func() error { return w.WriteSecond(&measure.Second{}) },
		"WriteSysStat": func() error { return w.WriteSysStat(&measure.SysStat{}) },
	} {
		if err := write(); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s after Close: %v, want fs.ErrClosed", name, err)
		}
	}
}

func TestSummary(t *testing.T) {
	dir := t.TempDir()
	type summary struct {
		Offered int     `json:"offered"`
		ASR     float64 `json:"asr"`
		Note    string  `json:"note"`
	}
	for _, want := range []summary{{10, 0.5, "première"}, {20, 0.75, "second"}} {
		if err := WriteSummary(dir, want); err != nil {
			t.Fatal(err)
		}
		run, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got summary
		if err := run.Summary(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("summary %+v, want %+v", got, want)
		}
	}
	if err := WriteSummary(dir, func() {}); err == nil {
		t.Error("WriteSummary of a func: no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files %v, want summary.json alone", entries)
	}
}

func TestLoadNoRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cdr.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrNoRun) {
		t.Errorf("Load of a directory without a run: %v, want ErrNoRun", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing directory: %v, want fs.ErrNotExist", err)
	}
}

func TestAppendTime(t *testing.T) {
	for _, tm := range []time.Time{
		t0, time.Unix(0, 0).UTC(), time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 9, 5, 7, 42000, time.UTC),
	} {
		if got, want := string(appendTime(nil, tm)), tm.Format(csvTime); got != want {
			t.Errorf("appendTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

func TestIsRunFile(t *testing.T) {
	for name, want := range map[string]bool{
		"cdr.parquet": true, "cdr.parquet.tmp": true, "cdr.part-000001.parquet": true,
		"timeseries.part-000002.parquet.tmp": true, "calls.csv": true, "summary.json": true,
		"cdr.merge-123456789.tmp": true, "sysstats.merge-1.tmp": true, "cdr.merge-1.parquet": false,
		"cdr.txt": false, "notes.parquet": false, "cdr-old.parquet": false, "calls.csv.bak": false,
	} {
		if got := isRunFile(name); got != want {
			t.Errorf("isRunFile(%q) = %v, want %v", name, got, want)
		}
	}
}
