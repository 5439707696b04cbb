// Package dialtest runs short measured dials against emulated FreeSWITCH
// servers (fsemu) in tests of call-control apps, as net/http/httptest
// does for handlers: an app (a registered spec or an instance), a few
// calls, and back the records, with the app's verdicts, and the summary.
//
//	res := dialtest.Run(t, dialtest.Options{App: &MyChecker{}, Calls: 20,
//		Server: fsemu.Config{Impairments: fsemu.Impairments{DTMFDrop: 0.1}}})
//	for _, r := range res.Records {
//		if ok, _ := dialtest.Bool(r, "my_check_ok"); !ok { ... }
//	}
package dialtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/loadtest"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

// Options describe a test dial.
type Options struct {
	// Spec is the app to dial with ("Name/key=value,..."); App, when
	// set, is an instance to load instead (shared by the servers).
	Spec string
	App  cluster.App
	// Server configures the one emulated server (it calls itself).
	Server fsemu.Config
	// Cross runs two such servers on one network instead, each calling
	// the other: every call has its legs on two servers.
	Cross bool
	// Calls, Rate, Limit and Hold shape the dial (defaults 10, 50/s,
	// 100, 1 s).
	Calls int
	Rate  float64
	Limit int
	Hold  time.Duration
	// HoldDist, when set, draws each call's hold (Hold is then unused).
	HoldDist dialer.HoldDist
	// Dest, when set, is the destination every call dials (a bare user
	// calls the server itself, as dial --dest does: "mix" reaches the
	// far-end dialplan's failure mix, docs/far-end-dialplan.md).
	Dest string
	// Logger receives the clients' logs, apps' warnings among them
	// (nil discards them).
	Logger *slog.Logger
	// Timeout bounds the whole dial (default 30 s).
	Timeout time.Duration
	// During, when set, runs once the dial has started (to change the
	// server's impairments mid-run, say); the dial waits for it.
	During func(*fsemu.Server)
	// Real, when set, dials these servers instead of an emulated one
	// (Server, Cross and During are then unused): see RealServers.
	Real *Real
}

// Real names real FreeSWITCH servers to dial (event-socket addresses and
// password) and, optionally, the destination each calls (default: its
// own external profile, as dial does).
type Real struct {
	Addrs    []string
	Password string
	Dests    map[string]string
	// Cross has each server call the next one's external profile (the
	// last calls the first): every call has its legs on two servers.
	Cross bool
}

// Environment variables naming the real servers of the opt-in tests.
const (
	// EnvRealFS is a real FreeSWITCH's event socket (host:port).
	EnvRealFS = "SWITCHIO_REAL_FS"
	// EnvRealFS2 is a second one, for calls across two servers.
	EnvRealFS2 = "SWITCHIO_REAL_FS2"
	// EnvRealPassword is their ESL password (default ClueCon).
	EnvRealPassword = "SWITCHIO_REAL_FS_PASSWORD"
)

// RealServers returns the real FreeSWITCH servers of the opt-in tests,
// n of them (1 or 2): EnvRealFS, then EnvRealFS2. It skips the test,
// with the reason, when they are not set. The recordings apps check
// are read from this host, so the servers must run here (or share the
// recording directory).
func RealServers(t testing.TB, n int) *Real {
	t.Helper()
	r := &Real{Password: os.Getenv(EnvRealPassword)}
	if r.Password == "" {
		r.Password = "ClueCon"
	}
	for i, env := range []string{EnvRealFS, EnvRealFS2}[:n] {
		addr := os.Getenv(env)
		if addr == "" {
			t.Skipf("needs %d real FreeSWITCH server(s): set %s (e.g. 127.0.0.1:%d)", n, env, 8021+i)
		}
		r.Addrs = append(r.Addrs, addr)
	}
	return r
}

// SIPAddr returns the SIP address (host:port) of real server i's sofia
// profile, as a destination's host part: to call a server the test does
// not watch, say.
func (r *Real) SIPAddr(t testing.TB, i int, profile string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cluster.Dial(ctx, r.Addrs[i], cluster.Config{Password: r.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sip, err := c.SIPAddr(ctx, profile)
	if err != nil {
		t.Fatal(err)
	}
	return sip
}

// Result is what a test dial left.
type Result struct {
	Summary summary.Run
	Records []measure.Record
	// Server is the emulated server, for its state after the dial (nil
	// with Options.Real).
	Server *fsemu.Server
}

// Run dials and returns the records, failing t on any error.
func Run(t testing.TB, o Options) Result {
	t.Helper()
	o.setDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	srv, addrs, dests, password := o.servers(t)
	pool, err := cluster.NewPool(ctx, addrs, cluster.Config{Password: password, Logger: o.Logger})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if o.Real != nil && o.Real.Cross {
		dests = crossDests(t, ctx, pool)
	}
	inst := o.App
	if inst == nil {
		if inst, err = apps.Builtin().New(o.Spec); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	m, err := loadtest.Start(ctx, pool, loadtest.Options{Dir: dir, NoSysStats: true, Verdicts: loadtest.VerdictsOf(inst)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := o.originator(ctx, pool, m, dests)
	if err != nil {
		m.Abort()
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	if o.During != nil && srv != nil {
		o.During(srv)
	}
	if err := d.Wait(ctx); err != nil {
		t.Errorf("dial did not end: %v", err)
	}
	m.Tick(d)
	d.Close()
	sm, err := m.Close(d)
	if err != nil {
		t.Fatal(err)
	}
	return Result{Summary: sm, Server: srv, Records: records(t, dir)}
}

// setDefaults fills the options left zero.
func (o *Options) setDefaults() {
	if o.Calls == 0 {
		o.Calls = 10
	}
	if o.Rate == 0 {
		o.Rate = 50
	}
	if o.Limit == 0 {
		o.Limit = 100
	}
	if o.Hold == 0 {
		o.Hold = time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
}

// servers returns the servers to dial (an emulated one, or two calling
// each other with Cross, unless Real names real ones), their destinations
// and password.
func (o *Options) servers(t testing.TB) (srv *fsemu.Server, addrs []string, dests map[string]string, password string) {
	if o.Real != nil {
		return nil, o.Real.Addrs, o.Real.Dests, o.Real.Password
	}
	srv = fsemu.RunT(t, o.Server)
	addrs = []string{srv.Addr()}
	if o.Cross {
		cfg := o.Server
		cfg.Network = srv.Network()
		other := fsemu.RunT(t, cfg)
		addrs = append(addrs, other.Addr())
		dests = map[string]string{srv.Addr(): "1000@" + other.SIPAddr(), other.Addr(): "1000@" + srv.SIPAddr()}
	}
	return srv, addrs, dests, ""
}

// crossDests makes each real server call the next one's external profile.
func crossDests(t testing.TB, ctx context.Context, pool *cluster.Pool) map[string]string {
	clients := pool.Clients()
	dests := map[string]string{}
	for i, c := range clients {
		sip, err := clients[(i+1)%len(clients)].SIPAddr(ctx, "external")
		if err != nil {
			t.Fatal(err)
		}
		dests[c.Addr()] = "switchio@" + sip
	}
	return dests
}

// originator builds the dialer, measured by m, with the app loaded (and,
// on real servers, the load-test settings applied).
func (o *Options) originator(ctx context.Context, pool *cluster.Pool, m *loadtest.Run, dests map[string]string) (*dialer.Originator, error) {
	cfg := dialer.Config{Rate: o.Rate, Limit: o.Limit, MaxOffered: uint64(o.Calls),
		Duration: o.Hold, HoldDist: o.HoldDist, OnCall: m.Call, Dests: dests}
	if o.HoldDist.Kind != dialer.HoldFixed {
		cfg.Duration = 0
	}
	cfg.Request.Dest = o.Dest
	d, err := dialer.New(ctx, pool, cfg)
	if err != nil {
		return nil, err
	}
	if o.Real != nil {
		// A real server keeps FreeSWITCH's defaults (30 sessions/s)
		// unless told otherwise, as dial does.
		if err := d.Setup(ctx, dialer.Settings{}); err != nil {
			d.Close()
			return nil, err
		}
	}
	if o.App != nil {
		_, err = d.LoadApp(ctx, cluster.AppName(o.App), 1, appkit.Shared(o.App))
	} else {
		_, err = d.LoadSpec(ctx, apps.Builtin(), o.Spec, 1)
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// records reads back the records a run stored in dir.
func records(t testing.TB, dir string) []measure.Record {
	run, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []measure.Record
	for r, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// Bool returns a record's bool verdict (false, false when null).
func Bool(r measure.Record, name string) (v, ok bool) {
	if x := r.Verdicts[name]; x.Bool != nil {
		return *x.Bool, true
	}
	return false, false
}

// Int returns a record's integer verdict (0, false when null).
func Int(r measure.Record, name string) (int64, bool) {
	if x := r.Verdicts[name]; x.Int != nil {
		return *x.Int, true
	}
	return 0, false
}

// String returns a record's string verdict ("" when null).
func String(r measure.Record, name string) string {
	if x := r.Verdicts[name]; x.String != nil {
		return *x.String
	}
	return ""
}

// Originator starts an n-server emulated cluster (emu), a pool over it
// and an originator (cfg) with the load-test settings applied and
// TonePlay loaded with weight 1, all closed when the test ends. It
// returns TonePlay's app id and the cluster.
func Originator(t testing.TB, n int, cfg dialer.Config, emu fsemu.Config) (*dialer.Originator, string, *fsemu.Cluster) {
	t.Helper()
	cl := fsemu.RunClusterT(t, n, emu)
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
	id, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1)
	if err != nil {
		t.Fatal(err)
	}
	return o, id, cl
}

// PassAll fails t unless every record of res is an answered call whose
// bool verdict check is true (any verdicts when check is ""); it logs each call's verdicts, so a run
// against a real server shows what it found.
func PassAll(t testing.TB, res Result, calls int, check string) {
	t.Helper()
	if len(res.Records) != calls {
		t.Errorf("%d records, want %d", len(res.Records), calls)
	}
	for _, r := range res.Records {
		ok, set := Bool(r, check)
		t.Logf("call %s on %s: %s %s, %s=%v (set %v), verdicts %s", r.CallID, r.Server, r.Outcome, r.HangupCause,
			check, ok, set, verdictsText(r))
		if r.Outcome == "failed" || check != "" && (!set || !ok) {
			t.Errorf("call %s: %s %s, %s %v (set %v)", r.CallID, r.Outcome, r.HangupCause, check, ok, set)
		}
	}
}

func verdictsText(r measure.Record) string {
	names := make([]string, 0, len(r.Verdicts))
	for k := range r.Verdicts {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		v := r.Verdicts[k]
		switch {
		case v.Bool != nil:
			fmt.Fprintf(&b, "%s=%v ", k, *v.Bool)
		case v.Int != nil:
			fmt.Fprintf(&b, "%s=%d ", k, *v.Int)
		case v.Float != nil:
			fmt.Fprintf(&b, "%s=%g ", k, *v.Float)
		case v.String != nil:
			fmt.Fprintf(&b, "%s=%q ", k, *v.String)
		}
	}
	return strings.TrimSpace(b.String())
}

// RealCheck is the opt-in test of a checking app against one real
// FreeSWITCH (RealServers: skipped when none is named): calls calls of
// spec at 2 calls/s, each held hold, every one answered with its bool
// verdict check true (PassAll).
func RealCheck(t testing.TB, spec string, calls int, hold time.Duration, check string) Result {
	t.Helper()
	real := RealServers(t, 1)
	res := Run(t, Options{Real: real, Spec: spec, Calls: calls, Rate: 2, Hold: hold, Timeout: time.Minute})
	PassAll(t, res, calls, check)
	return res
}
