package appkit_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type routerEnv struct {
	pool   *cluster.Pool
	callee *fsemu.Server
	caller *cluster.Client

	mu     sync.Mutex
	causes map[string]chan string // call key -> inbound leg's hang-up cause
}

func newRouterEnv(t *testing.T, r *appkit.Router) *routerEnv {
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
	if err := appkit.NewManager(pool).Load(ctx, "routed", appkit.Shared(r)); err != nil {
		t.Fatal(err)
	}
	e := &routerEnv{pool: pool, callee: s2, caller: pool.Clients()[0], causes: map[string]chan string{}}
	pool.Clients()[1].Observe(func(ev *cluster.Event) {
		if ev.Key == "CHANNEL_HANGUP_COMPLETE" && ev.Session != nil && ev.Session.IsInbound() {
			e.cause(ev.Call().Key()) <- ev.HangupCause()
		}
	})
	return e
}

func (e *routerEnv) cause(key string) chan string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ch, ok := e.causes[key]
	if !ok {
		ch = make(chan string, 1)
		e.causes[key] = ch
	}
	return ch
}

// dial calls dest on the callee server and returns the inbound leg's hang-up
// cause once it ends, or "" if it is still up after wait, and whether the
// inbound leg was answered by then.
func (e *routerEnv) dial(t *testing.T, dest string, headers []originate.Var, wait time.Duration) (answered bool, cause string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id := uuid.NewString()
	req := originate.Request{Dest: dest + "@" + e.callee.SIPAddr(), UUID: id, Headers: append(headers,
		originate.Var{Name: "X-switchio_app", Value: "routed"},
		originate.Var{Name: "X-switchio_originating_session", Value: id})}
	cmd, err := req.Command()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.caller.BgAPI(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-e.cause(id):
		return false, c
	case <-time.After(wait):
	}
	call := e.pool.Call(id)
	return call != nil && call.Len() == 2 && call.Last().Answered(), ""
}

func TestRouterOrderGuardsAndStop(t *testing.T) {
	var mu sync.Mutex
	var trail []string
	mark := func(s string) { mu.Lock(); trail = append(trail, s); mu.Unlock() }
	r := &appkit.Router{Guards: map[string]string{"variable_sip_h_X-Tenant": "acme"}}
	r.MustRoute(`^1(\d+)$`, func(ctx context.Context, s *cluster.Session, m []string) error {
		mark("first:" + m[1])
		return nil
	})
	r.MustRoute(`^1`, func(ctx context.Context, s *cluster.Session, m []string) error {
		mark("second")
		if err := s.Answer(ctx); err != nil {
			return err
		}
		return appkit.ErrStopRouting
	})
	r.MustRoute(`.*`, func(ctx context.Context, s *cluster.Session, m []string) error {
		mark("never")
		return nil
	})
	env := newRouterEnv(t, r)
	tenant := []originate.Var{{Name: "X-Tenant", Value: "acme"}}

	answered, cause := env.dial(t, "1234", tenant, 300*time.Millisecond)
	if cause != "" || !answered {
		t.Fatalf("routed call: cause %q answered %v", cause, answered)
	}
	mu.Lock()
	got := strings.Join(trail, ",")
	mu.Unlock()
	if got != "first:234,second" {
		t.Fatalf("routes ran %q", got)
	}

	if _, cause := env.dial(t, "1234", []originate.Var{{Name: "X-Tenant", Value: "other"}}, 3*time.Second); cause != "NO_ROUTE_DESTINATION" {
		t.Fatalf("guarded call: cause %q", cause)
	}
	if _, cause := env.dial(t, "1234", nil, 3*time.Second); cause != "NO_ROUTE_DESTINATION" {
		t.Fatalf("call without the guard header: cause %q", cause)
	}
}

func TestRouterUnrouted(t *testing.T) {
	r := &appkit.Router{}
	r.MustRoute(`^9`, func(ctx context.Context, s *cluster.Session, m []string) error { return nil })
	env := newRouterEnv(t, r)
	if _, cause := env.dial(t, "1000", nil, 3*time.Second); cause != "NO_ROUTE_DESTINATION" {
		t.Fatalf("unrouted call: cause %q", cause)
	}
}

func TestRouterBadPattern(t *testing.T) {
	r := &appkit.Router{}
	if err := r.Route(`(`, nil); err == nil {
		t.Fatal("bad regexp accepted")
	}
}
