package routers_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A three-server path: fs1 calls 1000@fs3 through fs2 (fs_path), where
// the router passes it on; fs3 answers. The router's bridge runs with
// ${sip_req_uri} expanded by the server (switch_core_session_exec expands
// application arguments), so the onward leg reaches fs3.
func TestRoutersPassCallsOn(t *testing.T) {
	for _, spec := range []string{"Proxier", "Bridger/route=1:proxy|2:proxy"} {
		t.Run(spec, func(t *testing.T) {
			n := fsemu.NewNetwork()
			fs1 := fsemu.RunT(t, fsemu.Config{Network: n})
			fs2 := fsemu.RunT(t, fsemu.Config{Network: n})
			fs3 := fsemu.RunT(t, fsemu.Config{Network: n, Inbound: fsemu.Inbound{Action: "echo"}})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			pool, err := cluster.NewPool(ctx, []string{fs1.Addr(), fs2.Addr()}, cluster.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			var mu sync.Mutex
			var bridged []string
			pool.Clients()[1].Observe(func(ev *cluster.Event) {
				if ev.Key == "CHANNEL_EXECUTE" && ev.Get("Application") == "bridge" {
					mu.Lock()
					bridged = append(bridged, ev.Get("Application-Data"))
					mu.Unlock()
				}
			})
			if err := pool.Subscribe(ctx, "CHANNEL_EXECUTE"); err != nil {
				t.Fatal(err)
			}
			a, err := apps.Builtin().New(spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := appkit.NewManager(pool).Load(ctx, "route", appkit.Shared(a)); err != nil {
				t.Fatal(err)
			}
			_, err = appkit.SyncCall(ctx, pool.Clients()[0],
				originate.Request{Dest: "1000@" + fs3.SIPAddr(), Proxy: fs2.SIPAddr()}, "route",
				func(c *cluster.Call) bool { return c.First() != nil && c.First().Answered() })
			if err != nil {
				t.Fatal(err)
			}
			// The bridge's CHANNEL_EXECUTE comes on fs2's connection, the
			// answer SyncCall waited for on fs1's: wait for the first too.
			var got string
			for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				got = strings.Join(bridged, ";")
				mu.Unlock()
				if got != "" || time.Now().After(deadline) {
					break
				}
			}
			if want := "sofia/external/1000@" + fs3.SIPAddr(); got != want {
				t.Errorf("bridged to %q, want %q", got, want)
			}
			if n := fs3.SessionsSinceStartup(); n != 1 {
				t.Errorf("fs3 saw %d calls, want 1", n)
			}
			_ = pool.Clients()[0].Hupall(ctx, "NORMAL_CLEARING", "", "")
		})
	}
}

// A Bridger route table: LEGS:DIALSTRING entries, "proxy" for the
// request URI; malformed tables are refused at setup, and a call with no
// route is refused NO_ROUTE_DESTINATION.
func TestBridgerRoutes(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"Bridger/route=x:proxy", "want LEGS:DIALSTRING"},
		{"Bridger/route=0:proxy", "want LEGS:DIALSTRING"},
		{"Bridger/route=1:", "empty dial string"},
		{"Bridger/route=1:proxy|1:sofia/external/x@y", "given twice"},
		{"Bridger/profile=a/b", "not a sofia profile"},
		{"Proxier/profile=", "not a sofia profile"},
	} {
		a, err := apps.Builtin().New(tc.spec)
		if err == nil {
			err = a.Setup(t.Context(), nil)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.spec, err, tc.want)
		}
	}
	srv := fsemu.RunT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := cluster.NewPool(ctx, []string{srv.Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	a, _ := apps.Builtin().New("Bridger/route=5:proxy")
	if err := appkit.NewManager(pool).Load(ctx, "route", appkit.Shared(a)); err != nil {
		t.Fatal(err)
	}
	_, err = appkit.SyncCall(ctx, pool.Clients()[0], originate.Request{Dest: "1000@" + srv.SIPAddr()}, "route",
		func(c *cluster.Call) bool { return c.Len() == 2 && c.First().Answered() })
	if err == nil || !strings.Contains(err.Error(), "-ERR NO_ROUTE_DESTINATION") {
		t.Errorf("unrouted call: %v, want the originate refused NO_ROUTE_DESTINATION", err)
	}
}
