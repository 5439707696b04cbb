package loadtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/loadtest"
)

// A measured load test: Start attaches the measurement to the pool before
// the dialer exists, its Call method takes each call's outcome, and Close
// gives the summary with the catalogue's figures (written under Options.Dir
// when set). Here ten calls of TonePlay against an emulated server that
// calls itself.
func ExampleStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := fsemu.Start(ctx, fsemu.Config{})
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

	m, err := loadtest.Start(ctx, pool, loadtest.Options{NoSysStats: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	o, err := dialer.New(ctx, pool, dialer.Config{Rate: 50, Limit: 20, MaxOffered: 10, Duration: 100 * time.Millisecond, OnCall: m.Call})
	if err != nil {
		m.Abort()
		fmt.Println(err)
		return
	}
	if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err == nil {
		err = o.Start()
	}
	if err == nil {
		err = o.Wait(ctx)
	}
	o.Close()
	sm, cerr := m.Close(o)
	if err != nil || cerr != nil {
		fmt.Println(err, cerr)
		return
	}
	f := sm.Metrics
	fmt.Printf("dialer: offered %d, answered %d\n", sm.Offered, sm.Answered)
	fmt.Printf("records: offered %d, completed %d, asr %v\n", f.Offered, f.Completed, f.Ratios["asr"])
	// Output:
	// dialer: offered 10, answered 10
	// records: offered 10, completed 10, asr 1
}
