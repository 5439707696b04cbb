package dialer_test

import (
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// recorder collects a dialer's call records.
type recorder struct {
	mu   sync.Mutex
	recs []dialer.CallOutcome
	uuid map[string]int
}

func newRecorder(cfg *dialer.Config) *recorder {
	r := &recorder{uuid: map[string]int{}}
	cfg.OnCall = func(c dialer.CallOutcome) {
		r.mu.Lock()
		r.recs = append(r.recs, c)
		r.uuid[c.UUID]++
		r.mu.Unlock()
	}
	return r
}

// checkAccounting asserts the outcome table's invariants on a finished
// run (after Close): answered + failed == offered, completed + dropped +
// abandoned == answered, one record per offered call, each call's record
// consistent with its outcome.
func checkAccounting(t *testing.T, sm summary.Run, r *recorder) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if sm.Answered+sm.Failed != sm.Offered {
		t.Errorf("answered %d + failed %d != offered %d", sm.Answered, sm.Failed, sm.Offered)
	}
	if sm.Completed+sm.Dropped+sm.Abandoned != sm.Answered {
		t.Errorf("completed %d + dropped %d + abandoned %d != answered %d", sm.Completed, sm.Dropped, sm.Abandoned, sm.Answered)
	}
	if uint64(len(r.recs)) != sm.Offered || len(r.uuid) != len(r.recs) {
		t.Errorf("%d records (%d distinct) for %d offered calls", len(r.recs), len(r.uuid), sm.Offered)
	}
	var failedSum uint64
	for _, n := range sm.FailedByCause {
		failedSum += n
	}
	if failedSum != sm.Failed {
		t.Errorf("failures by cause sum to %d, failed %d", failedSum, sm.Failed)
	}
	count := map[dialer.Outcome]uint64{}
	for _, c := range r.recs {
		count[c.Outcome]++
		if answered := !c.Answered.IsZero(); answered == (c.Outcome == dialer.Failed) {
			t.Errorf("call %s: outcome %v with answered time %v", c.UUID, c.Outcome, c.Answered)
		}
	}
	if count[dialer.Failed] != sm.Failed || count[dialer.Completed] != sm.Completed ||
		count[dialer.Dropped] != sm.Dropped || count[dialer.Abandoned] != sm.Abandoned {
		t.Errorf("records by outcome %v, summary failed %d completed %d dropped %d abandoned %d",
			count, sm.Failed, sm.Completed, sm.Dropped, sm.Abandoned)
	}
}

func waitAnswered(t *testing.T, o *dialer.Originator, n uint64) {
	t.Helper()
	if err := o.WaitWhile(ctxT(t, 30*time.Second), func(st dialer.Stats) bool { return st.Answered < n }); err != nil {
		t.Fatalf("waiting for %d answered: %v (%+v)", n, err, o.Stats())
	}
}

func TestAccountingNormalRun(t *testing.T) {
	cfg := dialer.Config{Rate: 200, Limit: 100, MaxOffered: 200, Duration: 200 * time.Millisecond}
	r := newRecorder(&cfg)
	o, _ := newDialer(t, 2, cfg, fsemu.Config{}, true)
	sm := run(t, o)
	o.Close()
	sm = o.Summary()
	checkAccounting(t, sm, r)
	if sm.Completed != 200 || sm.HoldErrorMs.Count != 200 {
		t.Fatalf("completed %d, hold errors %d, want 200", sm.Completed, sm.HoldErrorMs.Count)
	}
}

func TestOneOfThreeServersKilled(t *testing.T) {
	cfg := dialer.Config{Rate: 200, Limit: 1000, MaxOffered: 600, Duration: 2 * time.Second, ServerTimeout: 500 * time.Millisecond}
	r := newRecorder(&cfg)
	o, cl := newDialer(t, 3, cfg, fsemu.Config{}, true)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	waitAnswered(t, o, 150)
	cl.Server(2).Kill()
	if err := o.Wait(ctxT(t, 60*time.Second)); err != nil {
		t.Fatalf("wait: %v (%+v)", err, o.Stats())
	}
	o.Close()
	sm := o.Summary()
	checkAccounting(t, sm, r)
	if sm.Offered != 600 {
		t.Fatalf("offered %d, want 600: the others take the dead server's share", sm.Offered)
	}
	if len(sm.LostServers) != 1 || sm.LostServers[0].Addr != cl.Server(2).Addr() || sm.LostServers[0].Calls == 0 {
		t.Fatalf("lost servers %+v, want %s with its calls", sm.LostServers, cl.Server(2).Addr())
	}
	if sm.AllServersLost {
		t.Fatal("all servers reported lost")
	}
	if sm.Abandoned == 0 || sm.FailedByCause["SWITCHIO_SERVER_LOST"]+sm.Abandoned != uint64(sm.LostServers[0].Calls) {
		t.Fatalf("the dead server's %d calls: abandoned %d, failed %v", sm.LostServers[0].Calls, sm.Abandoned, sm.FailedByCause)
	}
	for _, s := range sm.Servers {
		if s.Saturated {
			t.Fatalf("server %s reported saturated: %v", s.Addr, sm.Saturation)
		}
	}
}

func TestOnlyServerKilled(t *testing.T) {
	cfg := dialer.Config{Rate: 100, Limit: 1000, MaxOffered: 0, Duration: 5 * time.Second, ServerTimeout: 300 * time.Millisecond}
	r := newRecorder(&cfg)
	o, cl := newDialer(t, 1, cfg, fsemu.Config{}, true)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	waitAnswered(t, o, 30)
	cl.Server(0).Kill()
	// The run stops by itself once the server is lost.
	if err := o.WaitWhile(ctxT(t, 20*time.Second), func(st dialer.Stats) bool { return !st.AllServersLost || st.State == dialer.Originating }); err != nil {
		t.Fatalf("run did not stop with its only server gone: %v (%+v)", err, o.Stats())
	}
	st := o.Stats()
	if st.Active != 0 {
		t.Fatalf("%d calls still counted active with the server lost", st.Active)
	}
	o.Close()
	sm := o.Summary()
	checkAccounting(t, sm, r)
	if !sm.AllServersLost || sm.Servers[0].Saturated {
		t.Fatalf("all lost %v, saturated %v", sm.AllServersLost, sm.Servers[0].Saturated)
	}
}

func TestDroppedConnectionKeepsCalls(t *testing.T) {
	// A connection drop shorter than ServerTimeout loses no call: the
	// client reconnects and resynchronises, and the calls end normally.
	cfg := dialer.Config{Rate: 100, Limit: 1000, MaxOffered: 100, Duration: time.Second, ServerTimeout: 10 * time.Second}
	r := newRecorder(&cfg)
	o, cl := newDialer(t, 2, cfg, fsemu.Config{}, true)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	waitAnswered(t, o, 20)
	cl.Server(0).DropConnections()
	if err := o.Wait(ctxT(t, 60*time.Second)); err != nil {
		t.Fatalf("wait: %v (%+v)", err, o.Stats())
	}
	o.Close()
	sm := o.Summary()
	checkAccounting(t, sm, r)
	if len(sm.LostServers) != 0 || sm.Offered != 100 {
		t.Fatalf("lost %v offered %d", sm.LostServers, sm.Offered)
	}
}

func TestStalledServer(t *testing.T) {
	cfg := dialer.Config{Rate: 100, Limit: 1000, MaxOffered: 100, Duration: 500 * time.Millisecond}
	r := newRecorder(&cfg)
	o, cl := newDialer(t, 2, cfg, fsemu.Config{}, true)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	waitAnswered(t, o, 20)
	cl.Server(1).Stall(time.Second)
	if err := o.Wait(ctxT(t, 60*time.Second)); err != nil {
		t.Fatalf("wait: %v (%+v)", err, o.Stats())
	}
	o.Close()
	checkAccounting(t, o.Summary(), r)
}

func TestAbandonRecordsCallsUp(t *testing.T) {
	// A drain timeout (or a second Ctrl-C): the calls still up are
	// recorded at once, answered ones abandoned, and hung up.
	cfg := dialer.Config{Rate: 200, Limit: 1000, MaxOffered: 0, Duration: time.Minute}
	r := newRecorder(&cfg)
	o, cl := newDialer(t, 2, cfg, fsemu.Config{}, true)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	waitAnswered(t, o, 40)
	if err := o.Abandon(ctxT(t, 5*time.Second), dialer.CauseDrainTimeout); err != nil {
		t.Fatal(err)
	}
	if st := o.Stats(); st.Active != 0 || st.State != dialer.Stopped {
		t.Fatalf("after Abandon: %+v", st)
	}
	o.Close()
	sm := o.Summary()
	checkAccounting(t, sm, r)
	if sm.Abandoned < 40 {
		t.Fatalf("abandoned %d, want every answered call", sm.Abandoned)
	}
	// And the servers hang them up.
	deadline := time.Now().Add(10 * time.Second)
	for _, s := range cl.Servers {
		for len(dialerChannels(s)) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := len(dialerChannels(s)); n > 0 {
			t.Fatalf("%d dialer channels left on %s", n, s.Addr())
		}
	}
}

func TestCloseRecordsCallsUp(t *testing.T) {
	cfg := dialer.Config{Rate: 200, Limit: 1000, MaxOffered: 0, Duration: time.Minute}
	r := newRecorder(&cfg)
	o, _ := newDialer(t, 1, cfg, fsemu.Config{}, true)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	waitAnswered(t, o, 20)
	o.Close()
	sm := o.Summary()
	checkAccounting(t, sm, r)
	if sm.Abandoned < 20 || sm.Completed != 0 {
		t.Fatalf("abandoned %d completed %d", sm.Abandoned, sm.Completed)
	}
}

func dialerChannels(s *fsemu.Server) []fsemu.ChannelInfo {
	var out []fsemu.ChannelInfo
	for _, ch := range s.Channels() {
		if ch.Var("sip_h_"+cluster.HeaderAppID) != "" {
			out = append(out, ch)
		}
	}
	return out
}
