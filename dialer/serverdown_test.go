package dialer_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// A connection lost and back before the monitor's next look (a 1 ms
// reconnect, well inside its 250 ms tick) is still reported through
// OnServerDown: the dial command flushes measurements and tells the user
// on that call, so a quick reconnect must not hide the loss.
func TestServerDownReportedAfterQuickReconnect(t *testing.T) {
	srv := fsemu.RunT(t, fsemu.Config{})
	pool, err := cluster.NewPool(ctxT(t, 10*time.Second), []string{srv.Addr()},
		cluster.Config{ReconnectMin: time.Millisecond, ReconnectMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	var downs atomic.Int32
	o, err := dialer.New(ctxT(t, 10*time.Second), pool, dialer.Config{Rate: 1, MaxOffered: 1,
		OnServerDown: func(string) { downs.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	time.Sleep(300 * time.Millisecond) // the monitor has seen the first connection
	c := pool.Clients()[0]
	for i := 1; i <= 3; i++ {
		srv.DropConnections()
		eventually(t, "reconnected", func() bool { return c.Counters().Reconnects >= uint64(i) && c.Conn() != nil })
		eventually(t, "loss reported", func() bool { return downs.Load() >= int32(i) })
	}
}

// eventually fails the test when cond is not true within 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
