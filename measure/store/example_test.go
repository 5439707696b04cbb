package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

// A run's measurements are written to a directory as they come and read
// back with Load, here three call records and a summary. The records
// stream from cdr.parquet; calls.csv holds the same rows for spreadsheets.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	w, err := store.Create(dir, store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, outcome := range []string{"completed", "completed", "failed"} {
		r := measure.Record{CallID: fmt.Sprint("call-", i), Seq: int64(i), Outcome: outcome, JobLaunch: t0.Add(time.Duration(i) * time.Second)}
		if err := w.WriteRecord(&r); err != nil {
			fmt.Println(err)
		}
	}
	if err := w.WriteSummary(map[string]int{"offered": 3}); err != nil {
		fmt.Println(err)
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}

	run, err := store.Load(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("closed:", run.Closed, "files:", filepath.Base(run.Files(store.CDRTable)[0]))
	for r, err := range run.Records() {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(r.Seq, r.CallID, r.Outcome, r.JobLaunch.Format(time.TimeOnly))
	}
	var sm map[string]int
	if err := run.Summary(&sm); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("summary:", sm)
	// Output:
	// closed: true files: cdr.parquet
	// 0 call-0 completed 00:00:00
	// 1 call-1 completed 00:00:01
	// 2 call-2 failed 00:00:02
	// summary: map[offered:3]
}
