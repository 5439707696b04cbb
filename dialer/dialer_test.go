package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"go.uber.org/goleak"

	_ "github.com/switchio/switchio/apps/tone"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newDialer starts an n-server emulated cluster, a pool over it and an
// originator with TonePlay loaded.
func newDialer(t *testing.T, n int, cfg dialer.Config) (*dialer.Originator, *fsemu.Cluster) {
	t.Helper()
	cl := fsemu.RunClusterT(t, n)
	var addrs []string
	for _, s := range cl.Servers {
		addrs = append(addrs, s.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := cluster.NewPool(ctx, addrs, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	o, err := dialer.New(ctx, pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	if err := o.Setup(ctx, dialer.Settings{}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.LoadSpec(ctx, nil, "TonePlay", 1); err != nil {
		t.Fatal(err)
	}
	return o, cl
}

func TestSmoke(t *testing.T) {
	o, _ := newDialer(t, 2, dialer.Config{Rate: 100, Limit: 50, MaxOffered: 40, Duration: time.Second})
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := o.Wait(ctx); err != nil {
		t.Fatal(err, o.Stats())
	}
	sm := o.Summary()
	t.Logf("%+v", sm)
	if sm.Offered != 40 || sm.Answered != 40 || sm.Failed != 0 {
		t.Fatalf("summary %+v", sm)
	}
}
