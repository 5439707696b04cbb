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

// Prepare and Start run what switchio dial runs, here against two emulated servers:
// 20 TonePlay calls at 50 calls/s, each held 100 ms, with the servers'
// limits raised for the run and every call measured (Plan.Measure.Dir
// would keep the records as dial --out does).
func ExamplePrepare() {
	ctx := context.Background()
	emu, _ := fsemu.StartCluster(ctx, 2, fsemu.Config{})
	defer emu.Close()
	pool, _ := cluster.NewPool(ctx, emu.Addrs(), cluster.Config{})
	defer pool.Close()
	test, err := loadtest.Prepare(ctx, loadtest.Plan{Pool: pool, Registry: apps.Builtin(),
		Apps:     []loadtest.AppSpec{{Spec: "TonePlay", Weight: 1}},
		Dialer:   dialer.Config{Rate: 50, MaxOffered: 20, Duration: 100 * time.Millisecond},
		Settings: &dialer.Settings{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = test.Start()
	_ = test.Dialer.Wait(ctx)
	sm, err := test.Close(ctx)
	fmt.Println(sm.Offered, sm.Answered, sm.Completed, sm.Metrics.Offered, err)
	// Output: 20 20 20 20 <nil>
}
