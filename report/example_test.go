package report_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
	"github.com/switchio/switchio/measure/summary"
	"github.com/switchio/switchio/report"
)

// Build turns a run's directory, as switchio dial --out writes it with
// measure/store, into report.html (and, without NoPNG, a PNG per chart in
// plots/). Here a run of five calls, one refused busy, is written and
// reported on.
func ExampleBuild() {
	dir, err := os.MkdirTemp("", "report-example")
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
	agg := measure.NewAggregator(time.Time{})
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		at := t0.Add(time.Duration(i) * 500 * time.Millisecond)
		r := measure.Record{CallID: fmt.Sprint("call-", i), Seq: int64(i), Server: "10.0.0.1:8021", App: "TonePlay",
			Outcome: "completed", HangupCause: "NORMAL_CLEARING", JobLaunch: at, CallerCreate: at,
			CallerAnswer: at.Add(60 * time.Millisecond), CallerHangup: at.Add(time.Second)}
		if i == 3 {
			r.Outcome, r.HangupCause, r.CallerAnswer = "failed", "USER_BUSY", time.Time{}
		}
		agg.Add(r)
		if err := w.WriteRecord(&r); err != nil {
			fmt.Println(err)
		}
	}
	m := agg.Summary()
	sm := summary.Run{ID: "example", State: "done", Offered: m.Offered, Answered: m.Answered, Failed: m.Failed, Metrics: &m}
	if err := w.WriteSummary(sm); err != nil {
		fmt.Println(err)
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}

	path, err := report.Build(dir, report.Options{NoPNG: true, Version: "v1.0.0", Now: t0})
	if err != nil {
		fmt.Println(err)
		return
	}
	page, _ := os.ReadFile(path)
	fmt.Println(filepath.Base(path))
	for _, s := range []string{"<title>switchio report · example</title>", "USER_BUSY", "call_setup_latency", "switchio v1.0.0"} {
		fmt.Printf("%q %v\n", s, strings.Contains(string(page), s))
	}
	// Output:
	// report.html
	// "<title>switchio report · example</title>" true
	// "USER_BUSY" true
	// "call_setup_latency" true
	// "switchio v1.0.0" true
}
