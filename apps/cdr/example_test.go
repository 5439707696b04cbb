package cdr_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/apps/cdr"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// Loaded on a server, the CDR app records every call there, whatever app
// handles it; unloaded, it gives the catalogue's figures (with Dir set it
// also writes cdr.parquet, calls.csv and summary.json there). Here an
// emulated server calls itself three times, each call answered and hung
// up by the far end after 100 ms.
func ExampleCDR() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := fsemu.Start(ctx, fsemu.Config{Inbound: fsemu.Inbound{Action: "answer", TalkTime: 100 * time.Millisecond}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	pool, err := cluster.NewPool(ctx, []string{srv.Addr()}, cluster.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	a := &cdr.CDR{}
	if err := pool.Load(ctx, cluster.DefaultAppID, a); err != nil {
		fmt.Println(err)
		return
	}
	c := pool.Clients()[0]
	for i := range 3 {
		if _, err := c.BgAPI(ctx, fmt.Sprintf("originate sofia/external/100%d@%s &park()", i, srv.SIPAddr())); err != nil {
			fmt.Println(err)
			return
		}
	}
	for ctx.Err() == nil && (len(srv.Channels()) > 0 || pool.Counters().CallsDone < 3) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Unload(ctx, cluster.DefaultAppID); err != nil {
		fmt.Println(err)
		return
	}
	sm := a.Summary()
	fmt.Printf("offered %d, answered %d, failed %d\n", sm.Offered, sm.Answered, sm.Failed)
	// Output:
	// offered 3, answered 3, failed 0
}
