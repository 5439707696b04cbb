package promexport_test

import (
	"context"
	"fmt"
	"log"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/promexport"
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
