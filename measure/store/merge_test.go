package store

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchio/switchio/measure"
)

// TestMergeByColumn closes runs whose parts are merged column by column
// (row groups under half of PartRows): every row reads back as written,
// repeated columns included (failed_by_cause maps, one of whose rows holds
// more values than a column copy reads at a time), and the merged CDR's
// row groups hold whole parts up to PartRows rows.
func TestMergeByColumn(t *testing.T) {
	big := make(map[string]int64, 3*mergeValues)
	for i := range 3 * mergeValues {
		big[fmt.Sprintf("CAUSE_%04d_é", i)] = int64(i)
	}
	second := func(i int) measure.Second {
		s := genSecond(i)
		s.FailedByCause = make(map[string]int64, i%7)
		for j := range i % 7 {
			s.FailedByCause[fmt.Sprintf("CAUSE_%d_%d", j, i)] = int64(i*7 + j)
		}
		if i%50 == 49 {
			s.FailedByCause = big
		}
		return s
	}
	for _, tc := range []struct {
		name              string
		records, seconds  int
		flushEvery        int // rows of each table per part
		partRows          int
		wantGroups        []int64 // cdr.parquet's row groups
		wantSecondsGroups int
	}{
		{"one-row parts", 60, 60, 1, 30, []int64{30, 30}, 2},
		{"parts of several value batches", 5000, 400, 2500, 10000, []int64{5000}, 1},
		{"parts filling row groups unevenly", 1100, 0, 300, 1000, []int64{900, 200}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Create(dir, Options{Verdicts: testVerdicts, FlushInterval: -1, PartRows: tc.partRows})
			if err != nil {
				t.Fatal(err)
			}
			var recs []measure.Record
			var secs []measure.Second
			for i := range max(tc.records, tc.seconds) {
				if i < tc.records {
					r := genRecord(i)
					if err := w.WriteRecord(&r); err != nil {
						t.Fatal(err)
					}
					recs = append(recs, readBack(r))
				}
				if i < tc.seconds {
					s := second(i)
					if err := w.WriteSecond(&s); err != nil {
						t.Fatal(err)
					}
					secs = append(secs, s)
				}
				if (i+1)%tc.flushEvery == 0 {
					if err := w.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			run, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(recs, collect(t, run.Records())); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(secs, collect(t, run.Seconds())); diff != "" {
				t.Errorf("seconds (-want +got):\n%s", diff)
			}
			if got := rowGroups(t, finalPath(dir, CDRTable)); !cmp.Equal(got, tc.wantGroups) {
				t.Errorf("cdr row groups %v, want %v", got, tc.wantGroups)
			}
			if got := rowGroups(t, finalPath(dir, TimeSeriesTable)); len(got) != tc.wantSecondsGroups {
				t.Errorf("timeseries row groups %v, want %d", got, tc.wantSecondsGroups)
			}
		})
	}
}

// rowGroups is the row count of each row group of a Parquet file.
func rowGroups(t *testing.T, path string) []int64 {
	t.Helper()
	f, pf, err := openParquet(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []int64
	for _, rg := range pf.RowGroups() {
		rows = append(rows, rg.NumRows())
	}
	return rows
}
