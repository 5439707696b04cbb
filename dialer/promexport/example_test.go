package promexport_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/promexport"
	"github.com/switchio/switchio/measure/summary"
)

// A load test exposed on http://127.0.0.1:9090/metrics while it runs:
// the exporter's record hook is chained in front of the measurement's
// (here none), the dialer attached once created, and the endpoint stops
// with ctx.
func ExampleExporter() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pool *cluster.Pool // the pool of the servers under test
	var next func(dialer.CallOutcome)

	ex := promexport.New(promexport.Options{Runtime: true})
	d, err := dialer.New(ctx, pool, dialer.Config{Rate: 50, Limit: 500, OnCall: ex.OnCall(next)})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	ex.Attach(d)

	srv, err := promexport.Serve(ctx, "127.0.0.1:9090", false, ex.Handler())
	if err != nil {
		log.Fatal(err) // e.g. the one-line ErrNotLoopback for 0.0.0.0:9090
	}
	fmt.Println("metrics on http://" + srv.Addr() + promexport.Path)
	// ... load the apps, Start, Wait ...
	cancel()
	if err := srv.Wait(); err != nil {
		log.Print(err)
	}
}

// staticDialer is a dialer frozen in one state: the exporter reads any
// Source at scrape time, a *dialer.Originator in a real run.
type staticDialer struct {
	st dialer.Stats
	sm summary.Run
}

func (d staticDialer) Stats() dialer.Stats  { return d.st }
func (d staticDialer) Summary() summary.Run { return d.sm }

// A scrape reads the attached dialer's counters as they are at that
// moment, and the set-up latency histogram fed through OnCall; here the
// handler answers a request in the Prometheus text format, of which a few
// lines are shown.
func ExampleExporter_Handler() {
	const srv = "10.0.0.1:8021"
	ex := promexport.New(promexport.Options{})
	ex.Attach(staticDialer{
		st: dialer.Stats{Rate: 10, Servers: []dialer.ServerStats{{Addr: srv, Active: 3}}},
		sm: summary.Run{Offered: 4, Answered: 3, Failed: 1, Completed: 3,
			FailedByCause: map[string]uint64{"USER_BUSY": 1},
			Servers:       []summary.Server{{Addr: srv, Offered: 4, Answered: 3, Failed: 1, FailedByCause: map[string]uint64{"USER_BUSY": 1}}}},
	})
	onCall := ex.OnCall(nil)
	for range 3 {
		onCall(dialer.CallOutcome{Server: srv, Outcome: dialer.Completed, Answered: time.Unix(1e9, 0), Setup: 40 * time.Millisecond})
	}

	rec := httptest.NewRecorder()
	ex.Handler().ServeHTTP(rec, httptest.NewRequest("GET", promexport.Path, nil))
	for line := range strings.Lines(rec.Body.String()) {
		for _, name := range []string{"switchio_offered_calls_total", "switchio_failed_calls_total", "switchio_asr_ratio",
			"switchio_active_calls", "switchio_local_setup_latency_seconds_count"} {
			if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
				fmt.Print(line)
			}
		}
	}
	// Output:
	// switchio_active_calls{server="10.0.0.1:8021"} 3
	// switchio_asr_ratio 0.75
	// switchio_failed_calls_total{cause="USER_BUSY",server="10.0.0.1:8021"} 1
	// switchio_local_setup_latency_seconds_count{server="10.0.0.1:8021"} 3
	// switchio_offered_calls_total{server="10.0.0.1:8021"} 4
}
