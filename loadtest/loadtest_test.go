package loadtest_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/loadtest"
	"github.com/switchio/switchio/measure/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A measured run leaves one record per offered call, a time series that
// counts every offer, system statistics, and a summary whose figures
// agree with the dialer's.
func TestMeasuredRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl := fsemu.RunClusterT(t, 2, fsemu.Config{Inbound: fsemu.Inbound{Failures: []fsemu.Failure{{Share: 0.2, Cause: "USER_BUSY"}}}})
	pool, err := cluster.NewPool(ctx, []string{cl.Server(0).Addr(), cl.Server(1).Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	dir := t.TempDir()
	m, err := loadtest.Start(ctx, pool, loadtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	o, err := dialer.New(ctx, pool, dialer.Config{Rate: 100, Limit: 100, MaxOffered: 100, Duration: 300 * time.Millisecond, OnCall: m.Call})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
		t.Fatal(err)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	m.SetWarmup(time.Now().Add(200 * time.Millisecond))
	for o.Wait(ctx) != nil {
	}
	m.Tick(o)
	o.Close()
	sm, err := m.Close(o)
	if err != nil {
		t.Fatal(err)
	}
	f := sm.Metrics
	if f == nil || f.Warmup == nil || f.Offered+f.Warmup.Offered != 100 || f.Failed+f.Warmup.Failed != sm.Failed {
		t.Fatalf("figures %+v, dialer %+v", f, sm)
	}
	if sm.Failed == 0 || f.FailedByCause["USER_BUSY"]+f.Warmup.FailedByCause["USER_BUSY"] != sm.Failed {
		t.Fatalf("failed %d, by cause %v", sm.Failed, f.FailedByCause)
	}
	run, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	var offered int64
	for s, err := range run.Seconds() {
		if err != nil {
			t.Fatal(err)
		}
		offered += s.Offered
	}
	if n != 100 || offered != 100 {
		t.Fatalf("%d records, %d offered in the time series", n, offered)
	}
}
