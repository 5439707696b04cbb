package cdr_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/apps/cdr"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/loadtest"
	"github.com/switchio/switchio/measure/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// crossCalls runs 3 calls from an emulated server to another (answered,
// held 100 ms), with apps loaded under ids on both, until they are over
// and unloaded. header tags each call with switchio's correlation
// header, as calls switchio places are.
func crossCalls(t *testing.T, ids []string, header bool, apps ...cluster.App) *fsemu.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := fsemu.RunClusterT(t, 2, fsemu.Config{Inbound: fsemu.Inbound{Action: "answer", TalkTime: 100 * time.Millisecond}})
	pool, err := cluster.NewPool(ctx, []string{cl.Server(0).Addr(), cl.Server(1).Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, id := range ids {
		if err := pool.Load(ctx, id, apps...); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		vars := ""
		if header {
			id := fmt.Sprintf("31111111-2222-4333-8444-55555555555%d", i)
			vars = "{origination_uuid=" + id + ",sip_h_X-switchio_originating_session=" + id + "}"
		}
		if _, err := pool.Clients()[0].BgAPI(ctx, "originate "+vars+"sofia/external/100"+fmt.Sprint(i)+"@"+cl.Server(1).SIPAddr()+" &park()"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (len(cl.Server(0).Channels())+len(cl.Server(1).Channels()) > 0 || pool.Counters().CallsDone < 3) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range pool.Clients() {
		for _, id := range ids {
			if err := c.Unload(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	return cl
}

// Loaded under two app ids on two servers, the CDR app records each call
// once: one record per call, legs on both servers joined.
func TestCDRAppRecordsEveryCallOnce(t *testing.T) {
	dir := t.TempDir()
	a := &cdr.CDR{Dir: dir}
	cl := crossCalls(t, []string{"one", "two"}, true, a)
	if sm := a.Summary(); sm.Offered != 3 || sm.Answered != 3 {
		t.Fatalf("figures %+v", sm.Figures)
	}
	run, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for r, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if seen[r.CallID] || r.Server != cl.Server(0).Addr() || r.CalleeServer != cl.Server(1).Addr() {
			t.Fatalf("record %+v (seen %v)", r, seen[r.CallID])
		}
		seen[r.CallID] = true
	}
	if len(seen) != 3 {
		t.Fatalf("%d records, want 3", len(seen))
	}
}

// Loaded with a checking app (switchio serve --app DtmfChecker --out),
// the CDR app writes that app's verdicts and counts them.
func TestCDRAppKeepsVerdicts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := fsemu.RunT(t)
	pool, err := cluster.NewPool(ctx, []string{srv.Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	checker, err := apps.Builtin().New("DtmfChecker/digits=12,duration=60ms,delay=10ms")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a := &cdr.CDR{Dir: dir, Verdicts: loadtest.VerdictsOf(checker)}
	if err := pool.Load(ctx, "svc", checker, a); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("41111111-2222-4333-8444-55555555555%d", i)
		if _, err := pool.Clients()[0].BgAPI(ctx, "originate {origination_uuid="+id+",sip_h_X-switchio_originating_session="+id+
			",sip_h_X-switchio_app_id=svc,execute_on_answer='sched_hangup +1'}sofia/external/100"+fmt.Sprint(i)+"@"+srv.SIPAddr()+" &park()"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (len(srv.Channels()) > 0 || pool.Counters().CallsDone < 3) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := pool.Clients()[0].Unload(ctx, "svc"); err != nil {
		t.Fatal(err)
	}
	if sm := a.Summary(); sm.MediaChecked != 3 || sm.Verdicts["dtmf_ok"].True != 3 {
		t.Fatalf("media checked %d, dtmf_ok %+v", sm.MediaChecked, sm.Verdicts["dtmf_ok"])
	}
	run, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if v := r.Verdicts["dtmf_received"].String; v == nil || *v != "12" {
			t.Errorf("call %s: dtmf_received %v", r.CallID, v)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("%d records", n)
	}
}

// namedApp is an app that does nothing but has a name, as serve's apps
// do: the CDR app names it in the records of the calls under its id.
type namedApp struct{}

func (namedApp) AppName() string                                       { return "Answerer" }
func (namedApp) Setup(ctx context.Context, r *cluster.Registrar) error { return nil }

// Calls switchio did not place carry no correlation header: the CDR app
// (switchio serve --out) still writes one record per call, its legs on
// two servers joined by their SIP Call-ID, named after the app that
// handled it.
func TestCDRAppJoinsLegsWithoutHeader(t *testing.T) {
	dir := t.TempDir()
	cl := crossCalls(t, []string{cluster.DefaultAppID}, false, namedApp{}, &cdr.CDR{Dir: dir})
	run, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if r.Server != cl.Server(0).Addr() || r.CalleeServer != cl.Server(1).Addr() || r.App != "Answerer" ||
			r.CalleeAnswer.IsZero() || r.CallerAnswer.IsZero() {
			t.Errorf("record: server %s (want %s), callee server %q, app %q, answered %v/%v", r.Server, cl.Server(0).Addr(), r.CalleeServer, r.App,
				!r.CallerAnswer.IsZero(), !r.CalleeAnswer.IsZero())
		}
	}
	if n != 3 {
		t.Fatalf("%d records, want 3 (one per call)", n)
	}
}
