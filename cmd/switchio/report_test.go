package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

// writeTinyRun writes a run of a few calls with measure/store.
func writeTinyRun(t *testing.T, dir string) {
	t.Helper()
	w, err := store.Create(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	ts := measure.NewTimeSeries(func(s measure.Second) {
		if err := w.WriteSecond(&s); err != nil {
			t.Error(err)
		}
	})
	for i := range 20 {
		at := start.Add(time.Duration(i) * 100 * time.Millisecond)
		r := measure.Record{CallID: "c" + string(rune('a'+i)), Seq: int64(i), Server: "127.0.0.1:8021", App: "TonePlay",
			Outcome: "completed", HangupCause: "NORMAL_CLEARING", JobLaunch: at, CallerReqOriginate: at,
			CallerCreate: at, CallerAnswer: at.Add(50 * time.Millisecond), LocalAnswer: at.Add(51 * time.Millisecond),
			CallerHangup: at.Add(time.Second), LocalHangup: at.Add(time.Second)}
		if i%4 == 0 {
			r.Outcome, r.HangupCause, r.CallerAnswer, r.LocalAnswer = "failed", "USER_BUSY", time.Time{}, time.Time{}
		}
		if err := w.WriteRecord(&r); err != nil {
			t.Fatal(err)
		}
		ts.Add(r)
	}
	ts.Close()
	if err := w.WriteSummary(summary.Run{ID: "tiny", Offered: 20, Answered: 15, Failed: 5, TargetRate: 10}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReportCmd(t *testing.T) {
	run, run2 := t.TempDir(), t.TempDir()
	writeTinyRun(t, run)
	writeTinyRun(t, run2)
	cmp := filepath.Join(t.TempDir(), "cmp")
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A run with calls.csv and no Parquet (killed before its first flush,
	// or copied without them), and one whose cdr.parquet is not Parquet.
	csvOnly, broken := t.TempDir(), t.TempDir()
	csv, err := os.ReadFile(filepath.Join(run, store.CSVFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(csvOnly, store.CSVFile), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "cdr.parquet"), []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		out     string // the directory of the report printed
		pngs    bool
	}{
		{"calls.csv without Parquet", []string{"report", csvOnly}, csvOnly + ": no cdr.parquet", "", false},
		{"broken Parquet", []string{"report", broken}, broken + ": cdr.parquet", "", false},
		{"compare with calls.csv without Parquet", []string{"report", run, csvOnly, "-o", filepath.Join(t.TempDir(), "cmp")}, csvOnly + ": no cdr.parquet", "", false},
		{"compare with broken Parquet", []string{"report", run, broken, "-o", filepath.Join(t.TempDir(), "cmp")}, broken + ": cdr.parquet", "", false},
		{"report", []string{"report", run}, "", run, true},
		{"plot alias without PNG", []string{"plot", "--no-png", run}, "", run, false},
		{"no directory", []string{"report"}, "requires at least 1 arg", "", false},
		{"not a run", []string{"report", t.TempDir()}, "no run", "", false},
		{"compare without -o", []string{"report", run, run2}, "needs -o OUT", "", false},
		{"compare", []string{"report", run, run2, "-o", cmp}, "", cmp, true},
		{"compare into a non-empty directory", []string{"report", run, run2, "-o", full}, "is not empty (--force", "", false},
		{"compare forced", []string{"report", "--no-png", run, run2, "-o", full, "--force"}, "", full, false},
		{"compare into a file", []string{"report", run, run2, "-o", filepath.Join(full, "x")}, "not a directory", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(run, "plots"))
			out, _, err := runRoot(context.Background(), tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err %v, want one line with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.TrimSpace(out.String()), filepath.Join(tc.out, "report.html"); got != want {
				t.Fatalf("printed %q, want %q", got, want)
			}
			pngs, _ := filepath.Glob(filepath.Join(tc.out, "plots", "*.png"))
			if (len(pngs) > 0) != tc.pngs {
				t.Fatalf("%d PNGs", len(pngs))
			}
		})
	}
}
