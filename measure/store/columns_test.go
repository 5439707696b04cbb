package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/switchio/switchio/measure"
)

// column is how a column of the CDR reads from a measure.Record: its
// value (int64, float64, bool or string), or false when null.
type column struct {
	name string
	of   func(r *measure.Record) (any, bool)
}

func micros(t time.Time) (any, bool) { return t.UnixMicro(), !t.IsZero() }

func deref[T any](p *T) (any, bool) {
	if p == nil {
		return nil, false
	}
	return *p, true
}

func verdict(name string, get func(measure.Value) (any, bool)) column {
	return column{VerdictPrefix + name, func(r *measure.Record) (any, bool) { return get(r.Verdicts[name]) }}
}

// cdrColumns are columns of every kind Columns reads: required and
// optional, plain and dictionary, nested in an optional group, verdicts.
var cdrColumns = []column{
	{"seq", func(r *measure.Record) (any, bool) { return r.Seq, true }},
	{"outcome", func(r *measure.Record) (any, bool) { return r.Outcome, true }},
	{"server", func(r *measure.Record) (any, bool) { return r.Server, true }},
	{"callee_server", func(r *measure.Record) (any, bool) { return r.CalleeServer, r.CalleeServer != "" }},
	{"sip_call_id", func(r *measure.Record) (any, bool) { return r.SIPCallID, r.SIPCallID != "" }},
	{"caller_answer", func(r *measure.Record) (any, bool) { return micros(r.CallerAnswer) }},
	{"job_launch", func(r *measure.Record) (any, bool) { return micros(r.JobLaunch) }},
	{"erlangs", func(r *measure.Record) (any, bool) { return r.Erlangs, true }},
	{"billmsec", func(r *measure.Record) (any, bool) { return deref(r.BillMsec) }},
	{"caller_rtp.in_packets", func(r *measure.Record) (any, bool) {
		if r.CallerRTP == nil {
			return nil, false
		}
		return r.CallerRTP.InPackets, true
	}},
	{"callee_rtp.mos", func(r *measure.Record) (any, bool) {
		if r.CalleeRTP == nil {
			return nil, false
		}
		return deref(r.CalleeRTP.MOS)
	}},
	verdict("tone_ok", func(v measure.Value) (any, bool) { return deref(v.Bool) }),
	verdict("tones", func(v measure.Value) (any, bool) { return deref(v.Int) }),
	verdict("freq_hz", func(v measure.Value) (any, bool) { return deref(v.Float) }),
	verdict("note", func(v measure.Value) (any, bool) { return deref(v.String) }),
}

// value is row i of c as Columns read it.
func (c *Column) value(i int) (any, bool) {
	if c.IsNull(i) {
		return nil, false
	}
	switch {
	case c.Int64 != nil:
		return c.Int64[i], true
	case c.Double != nil:
		return c.Double[i], true
	case c.Bool != nil:
		return c.Bool[i], true
	default:
		return c.String[i], true
	}
}

// Columns reads each column as Records reads it, row for row: closed
// runs of one and of many row groups, and a killed run read from its
// sealed parts.
func TestColumnsMatchRecords(t *testing.T) {
	var volume []measure.Record
	for i := range 1000 {
		volume = append(volume, genRecord(i))
	}
	for _, tc := range []struct {
		name     string
		recs     []measure.Record
		partRows int
		killed   bool
	}{
		{"records of every kind", testRecords(), 0, false},
		{"a row group each", testRecords(), 1, false},
		{"small and copied row groups", volume, 150, false},
		{"killed: sealed parts", volume, 300, true},
		{"no rows", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Verdicts: testVerdicts, FlushInterval: -1, PartRows: tc.partRows}
			if tc.killed {
				w, err := Create(dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				for i := range tc.recs {
					if err := w.WriteRecord(&tc.recs[i]); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { w.Close() }) // after the reading: the parts are what a kill leaves
			} else {
				writeRun(t, dir, opts, tc.recs, nil, nil)
			}
			run, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if run.Closed == tc.killed {
				t.Fatalf("Closed %v", run.Closed)
			}
			var want []measure.Record
			for r, err := range run.Records() {
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, r)
			}
			names := make([]string, len(cdrColumns))
			for i, c := range cdrColumns {
				names[i] = c.name
			}
			row := 0
			err = run.Columns(CDRTable, names, func(b *Batch) error {
				for i := range b.Rows {
					if row >= len(want) {
						return fmt.Errorf("more than %d rows", len(want))
					}
					for j, c := range cdrColumns {
						wv, wok := c.of(&want[row])
						gv, gok := b.Columns[j].value(i)
						if wok != gok || wok && wv != gv {
							t.Errorf("row %d %s: %v (%T, set %v), Records give %v (%T, set %v)", row, c.name, gv, gv, gok, wv, wv, wok)
						}
					}
					row++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if row != len(tc.recs) {
				t.Fatalf("%d rows, %d written", row, len(tc.recs))
			}
		})
	}
}

// fn's error ends the reading as it is; an unknown or unsupported column
// is refused.
func TestColumnsErrors(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, Options{Verdicts: testVerdicts, FlushInterval: -1, PartRows: 2}, testRecords(), []measure.Second{genSecond(0)}, nil)
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("enough")
	batches := 0
	err = run.Columns(CDRTable, []string{"seq"}, func(b *Batch) error {
		batches++
		return stop
	})
	if err != stop || batches != 1 {
		t.Errorf("Columns returned %v after %d batches, want fn's error after 1", err, batches)
	}
	for _, tc := range []struct{ table, column string }{
		{CDRTable, "no_such_column"},
		{CDRTable, "q850_cause"},                           // INT32
		{CDRTable, "caller_rtp"},                           // a group
		{TimeSeriesTable, "failed_by_cause.key_value.key"}, // repeated
		{"nope", "seq"},
	} {
		if err := run.Columns(tc.table, []string{tc.column}, func(*Batch) error { return nil }); err == nil {
			t.Errorf("%s.%s read", tc.table, tc.column)
		}
	}
}

// A CDR written by an earlier version reads by column too: a column it
// lacks reads as null in every row, one of another type is refused.
func TestColumnsOlderFile(t *testing.T) {
	type older struct {
		CallID  string `parquet:"call_id"`
		Seq     int64  `parquet:"seq"`
		Outcome string `parquet:"outcome"`
	}
	type otherType struct {
		Seq int32 `parquet:"seq"`
	}
	for _, tc := range []struct {
		name    string
		write   func(path string) error
		wantErr bool
	}{
		{"column added since", func(path string) error {
			return parquet.WriteFile(path, []older{{"a", 7, "failed"}, {"b", 8, "completed"}})
		}, false},
		{"column of another type", func(path string) error {
			return parquet.WriteFile(path, []otherType{{7}, {8}})
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tc.write(filepath.Join(dir, CDRTable+parquetExt)); err != nil {
				t.Fatal(err)
			}
			run, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			var nulls int
			err = run.Columns(CDRTable, []string{"seq", "callee_server"}, func(b *Batch) error {
				seqs = append(seqs, b.Columns[0].Int64...)
				for i := range b.Rows {
					if b.Columns[1].IsNull(i) {
						nulls++
					}
				}
				return nil
			})
			if tc.wantErr {
				if err == nil {
					t.Fatal("a column of another type read")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(seqs) != "[7 8]" || nulls != 2 {
				t.Fatalf("seq %v, %d null callee_server; want [7 8], 2", seqs, nulls)
			}
		})
	}
}
