package collect_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/collect"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

// A CallRecorder attached to a pool writes one call-detail record per
// call seen on its servers, both legs joined, as switchio serve --out
// does (a load test sets LoadTest and gives each call's Facts). Here an
// emulated server calls itself three times; the far end answers each
// call and hangs up after 100 ms.
func ExampleCallRecorder() {
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

	var mu sync.Mutex
	outcomes := map[string]int{}
	cdr := collect.NewCallRecorder(collect.CallRecorderConfig{OnRecord: func(r measure.Record) {
		mu.Lock()
		defer mu.Unlock()
		outcomes[r.Outcome+" "+r.HangupCause]++
	}})
	if err := cdr.Attach(ctx, pool); err != nil {
		fmt.Println(err)
		return
	}
	for i := range 3 {
		if _, err := pool.Clients()[0].BgAPI(ctx, fmt.Sprintf("originate sofia/external/100%d@%s &park()", i, srv.SIPAddr())); err != nil {
			fmt.Println(err)
			return
		}
	}
	for ctx.Err() == nil && cdr.Stats().Records < 3 {
		time.Sleep(20 * time.Millisecond)
	}
	cdr.Close()
	mu.Lock()
	defer mu.Unlock()
	fmt.Println(cdr.Stats().Records, "records:", outcomes)
	// Output:
	// 3 records: map[answered NORMAL_CLEARING:3]
}
