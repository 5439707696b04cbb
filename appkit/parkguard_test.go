package appkit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/fsemu"
)

// parkedCall places a call whose far end parks unanswered, with the
// ParkGuard loaded, waits for the park, then closes the pool: the
// controller is gone. It returns the parked leg's uuid.
func parkedCall(t *testing.T, addr, password, dest string, after time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pool, err := cluster.NewPool(ctx, []string{addr}, cluster.Config{Password: password})
	if err != nil {
		t.Fatal(err)
	}
	parked := make(chan string, 1)
	c := pool.Clients()[0]
	c.Observe(func(e *cluster.Event) {
		if e.Key == "CHANNEL_PARK" && e.Session != nil && e.Session.IsInbound() {
			select {
			case parked <- e.Session.UUID():
			default:
			}
		}
	})
	if err := pool.Load(ctx, cluster.DefaultAppID, &appkit.ParkGuard{After: after}); err != nil {
		t.Fatal(err)
	}
	a := uuid.NewString()
	if _, err := c.BgAPI(ctx, "originate {origination_uuid="+a+"}sofia/external/"+dest+" &park()"); err != nil {
		t.Fatal(err)
	}
	var b string
	select {
	case b = <-parked:
	case <-ctx.Done():
		t.Fatal("no parked inbound leg")
	}
	time.Sleep(300 * time.Millisecond) // the guard's command on its way
	pool.Close()
	return b
}

// A call parked for serve's apps ends on its own when the controller is
// gone: the server hangs it up after the guard's time (fsemu runs
// sched_hangup on whole seconds, as FreeSWITCH's scheduler does).
func TestParkGuardOutlivesController(t *testing.T) {
	srv := fsemu.RunT(t, fsemu.Config{})
	b := parkedCall(t, srv.Addr(), "ClueCon", "1000@"+srv.SIPAddr(), 2*time.Second)
	gone := func() bool {
		for _, ch := range srv.Channels() {
			if ch.UUID == b {
				return false
			}
		}
		return true
	}
	if gone() {
		t.Fatal("the call ended with the controller: the guard is not what ended it")
	}
	deadline := time.Now().Add(6 * time.Second)
	for !gone() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !gone() {
		t.Fatal("the parked call is still up 6 s after the controller went, with a 2 s guard")
	}
}

// The same on a real FreeSWITCH (opt-in: dialtest.EnvRealFS), whose
// switchio context parks the call (docs/far-end-dialplan.md).
func TestRealParkGuard(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	addr, password := real.Addrs[0], real.Password
	b := parkedCall(t, addr, password, "switchio@127.0.0.1:5080", 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := esl.Dial(ctx, addr, esl.Config{Password: password})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exists := func() bool {
		out, err := conn.API(ctx, "uuid_exists "+b)
		return err == nil && strings.TrimSpace(out) == "true"
	}
	if !exists() {
		t.Fatal("the call ended with the controller")
	}
	deadline := time.Now().Add(6 * time.Second)
	for exists() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if exists() {
		_, _ = conn.API(ctx, "uuid_kill "+b)
		t.Fatal("the parked call is still up 6 s after the controller went, with a 2 s guard")
	}
}
