package dialer_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// An Originator places 20 TonePlay calls at 40 calls/s, each held one
// second, through two emulated servers that call themselves.
func ExampleOriginator() {
	ctx := context.Background()
	emu, err := fsemu.StartCluster(ctx, 2, fsemu.Config{})
	if err != nil {
		panic(err)
	}
	defer emu.Close()
	pool, err := cluster.NewPool(ctx, []string{emu.Server(0).Addr(), emu.Server(1).Addr()}, cluster.Config{})
	if err != nil {
		panic(err)
	}
	defer pool.Close()

	o, err := dialer.New(ctx, pool, dialer.Config{Rate: 40, Limit: 100, MaxOffered: 20, Duration: time.Second})
	if err != nil {
		panic(err)
	}
	defer o.Close()
	if err := o.Setup(ctx, dialer.Settings{}); err != nil {
		panic(err)
	}
	if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
		panic(err)
	}
	if err := o.Start(); err != nil {
		panic(err)
	}
	if err := o.Wait(ctx); err != nil {
		panic(err)
	}
	sm := o.Summary()
	fmt.Println("offered", sm.Offered, "answered", sm.Answered, "failed", sm.Failed)
	for _, s := range sm.Servers {
		fmt.Println(s.Offered, "calls to", s.Dest)
	}
	// Output:
	// offered 20 answered 20 failed 0
	// 10 calls to switchio@127.0.0.1:5080
	// 10 calls to switchio@127.0.0.1:5082
}
