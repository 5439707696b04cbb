package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// oldSecond is a time-series row as written before the media check
// columns were added.
type oldSecond struct {
	Second        time.Time        `parquet:"second,timestamp(microsecond)"`
	Offered       int64            `parquet:"offered"`
	Answered      int64            `parquet:"answered"`
	Failed        int64            `parquet:"failed"`
	Completed     int64            `parquet:"completed"`
	Dropped       int64            `parquet:"dropped"`
	Abandoned     int64            `parquet:"abandoned"`
	Active        int64            `parquet:"active"`
	Erlangs       float64          `parquet:"erlangs"`
	SetupP50Ms    *float64         `parquet:"setup_p50_ms,optional"`
	SetupP90Ms    *float64         `parquet:"setup_p90_ms,optional"`
	SetupP99Ms    *float64         `parquet:"setup_p99_ms,optional"`
	SetupMaxMs    *float64         `parquet:"setup_max_ms,optional"`
	FailedByCause map[string]int64 `parquet:"failed_by_cause"`
}

// A run written before a column was added still loads: the new column
// reads as zero.
func TestLoadOlderTimeSeries(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rows := []oldSecond{{Second: at, Offered: 7, Answered: 5, FailedByCause: map[string]int64{"USER_BUSY": 2}}}
	if err := parquet.WriteFile(filepath.Join(dir, TimeSeriesTable+".parquet"), rows); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for s, err := range r.Seconds() {
		if err != nil {
			t.Fatal(err)
		}
		if !s.Second.Equal(at) || s.Offered != 7 || s.Answered != 5 || s.FailedByCause["USER_BUSY"] != 2 || s.MediaChecked != 0 || s.MediaFailed != 0 {
			t.Fatalf("%+v", s)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d rows", n)
	}
}
