package appkit_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

// statefulApp counts the channels it sees and the servers it was set up
// and torn down on.
type statefulApp struct {
	creates atomic.Int32
	mu      sync.Mutex
	setups  []string
	downs   []string
	fail    bool
}

func (a *statefulApp) Setup(ctx context.Context, r *cluster.Registrar) error {
	if a.fail {
		return errors.New("refused")
	}
	a.mu.Lock()
	a.setups = append(a.setups, r.Client().Addr())
	a.mu.Unlock()
	r.On("CHANNEL_CREATE", func(ctx context.Context, ev *cluster.Event) { a.creates.Add(1) })
	return nil
}

func (a *statefulApp) Teardown(ctx context.Context, c *cluster.Client) error {
	a.mu.Lock()
	a.downs = append(a.downs, c.Addr())
	a.mu.Unlock()
	return nil
}

type otherApp struct{ statefulApp }

func newPool(t *testing.T) (*cluster.Pool, *fsemu.Server, *fsemu.Server) {
	t.Helper()
	n := fsemu.NewNetwork()
	s1 := fsemu.RunT(t, fsemu.Config{Network: n})
	s2 := fsemu.RunT(t, fsemu.Config{Network: n})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := cluster.NewPool(ctx, []string{s1.Addr(), s2.Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool, s1, s2
}

// dialTagged places a call from c to dest tagged with appID and waits for
// both legs.
func dialTagged(t *testing.T, ctx context.Context, pool *cluster.Pool, c *cluster.Client, dest, appID string) {
	t.Helper()
	req := originate.Request{Dest: "1000@" + dest}
	if _, err := appkit.SyncCall(ctx, c, req, appID, func(call *cluster.Call) bool { return call.Len() == 2 }); err != nil {
		t.Fatal(err)
	}
}

func TestManagerSharedAndPerServer(t *testing.T) {
	tests := []struct {
		name      string
		perServer bool
	}{{"shared", false}, {"per server", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, s1, s2 := newPool(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var made []*statefulApp
			l := appkit.Shared(&statefulApp{})
			if tt.perServer {
				l = appkit.PerServer(func() cluster.App {
					a := &statefulApp{}
					made = append(made, a)
					return a
				})
			}
			m := appkit.NewManager(pool)
			if err := m.Load(ctx, "state", l); err != nil {
				t.Fatal(err)
			}
			c1, c2 := pool.Clients()[0], pool.Clients()[1]
			dialTagged(t, ctx, pool, c1, s2.SIPAddr(), "state") // a leg on each server
			dialTagged(t, ctx, pool, c2, s1.SIPAddr(), "state")
			// handlers run just after the loop tracks the leg: wait for them
			eventually(t, func() bool {
				var n int32
				for _, a := range m.Apps() {
					n += a.(*statefulApp).creates.Load()
				}
				return n == 4
			})
			apps := m.Apps()
			if tt.perServer {
				if len(apps) != 2 || len(made) != 2 || apps[0] == apps[1] {
					t.Fatalf("per-server instances: %d listed, %d made", len(apps), len(made))
				}
				for i, a := range made {
					// state per server: each instance sees only its server's two legs
					if a.creates.Load() != 2 || len(a.setups) != 1 || a.setups[0] != pool.Clients()[i].Addr() {
						t.Errorf("instance %d: %d creates, set up on %v", i, a.creates.Load(), a.setups)
					}
				}
			} else {
				a := apps[0].(*statefulApp)
				// state pool-wide: the one instance sees all four legs
				if len(apps) != 1 || a.creates.Load() != 4 || len(a.setups) != 2 {
					t.Fatalf("shared instance: %d listed, %d creates, set up on %v", len(apps), a.creates.Load(), a.setups)
				}
			}
			if err := m.Unload(ctx, "state"); err != nil {
				t.Fatal(err)
			}
			var downs []string
			for _, a := range apps {
				downs = append(downs, a.(*statefulApp).downs...)
			}
			sort.Strings(downs)
			want := []string{c1.Addr(), c2.Addr()}
			sort.Strings(want)
			if !slices.Equal(downs, want) {
				t.Errorf("torn down on %v, want %v", downs, want)
			}
			if len(m.IDs()) != 0 || len(m.Apps()) != 0 || len(c1.Apps("state")) != 0 || len(c2.Apps("state")) != 0 {
				t.Errorf("after Unload: ids %v apps %v", m.IDs(), c1.Apps("state"))
			}
		})
	}
}

func TestManagerIDsAndAtomicLoad(t *testing.T) {
	pool, _, _ := newPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := appkit.NewManager(pool)
	first := &statefulApp{}
	for _, id := range []string{"b", "a", ""} {
		if err := m.Load(ctx, id, appkit.Shared(first)); err != nil && id == "b" {
			t.Fatal(err)
		}
	}
	if got := strings.Join(m.IDs(), ","); got != "b,a,default" {
		t.Fatalf("IDs %q", got)
	}
	// A second Load under "b" that fails on the second server undoes only
	// itself: the app loaded before under "b" stays on both servers.
	n := 0
	failSecond := appkit.PerServer(func() cluster.App {
		n++
		return &otherApp{statefulApp{fail: n == 2}}
	})
	if err := m.Load(ctx, "b", failSecond); err == nil {
		t.Fatal("failing load accepted")
	}
	for _, c := range pool.Clients() {
		if got := strings.Join(c.Apps("b"), ","); got != "statefulApp" {
			t.Errorf("%s: apps under b after a failed load: %q", c.Addr(), got)
		}
	}
	if len(m.Apps()) != 1 {
		t.Errorf("Apps %d, want the one shared instance", len(m.Apps()))
	}
	// a factory returning nil is an error, not a panic
	if err := m.Load(ctx, "nil", appkit.PerServer(func() cluster.App { return nil })); err == nil {
		t.Fatal("nil app loaded")
	}
	if err := m.Load(ctx, "none"); err == nil {
		t.Fatal("empty load accepted")
	}
	if err := m.Unload(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.IDs(), ","); got != "b,a" {
		t.Fatalf("IDs after unloading the default id: %q", got)
	}
}

// TestServiceLoadFailureTearsDown: when one app id fails to load, the apps
// already loaded under other ids are torn down before Run returns.
func TestServiceLoadFailureTearsDown(t *testing.T) {
	_, s1, s2 := newPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	good, bad := &statefulApp{}, &statefulApp{fail: true}
	svc := &appkit.Service{
		Addrs: []string{s1.Addr(), s2.Addr()},
		Apps:  map[string][]appkit.Loadable{"a-good": {appkit.Shared(good)}, "b-bad": {appkit.Shared(bad)}},
	}
	// ids load in sorted order: "a-good" is set up on both servers before
	// "b-bad" fails, and must be torn down on both.
	if err := svc.Run(ctx); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Run: %v", err)
	}
	good.mu.Lock()
	setups, downs := len(good.setups), len(good.downs)
	good.mu.Unlock()
	if setups != 2 || downs != 2 {
		t.Fatalf("set up on %d servers, torn down on %d; want 2 and 2", setups, downs)
	}
}
