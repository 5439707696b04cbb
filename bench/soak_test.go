package bench

// The soak: a long dial over three emulated servers with a random fault
// at a fixed interval (a dropped connection, a stall, malformed frames, an
// event flood, a server killed and brought back), measured as switchio
// dial --out measures it. It checks that every offered call has one
// record, and prints the controller's heap every few minutes and its file
// descriptors before and after. Not run by default (nor in CI):
//
//	cd bench && SWITCHIO_SOAK=30m go test -run TestSoak -timeout 40m -v .
//
//	SWITCHIO_SOAK              how long to offer calls (unset: skip)
//	SWITCHIO_SOAK_RATE         calls per second (default 300)
//	SWITCHIO_SOAK_FAULT_EVERY  time between faults (default 30s)
//	SWITCHIO_SOAK_HEAP_EVERY   time between heap samples (default 5m)
//	SWITCHIO_SOAK_HEAPPROFILE  write the live heap there before stopping

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/loadtest"
	"github.com/switchio/switchio/measure/store"
)

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

func liveHeapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func TestSoak(t *testing.T) {
	length := envDur("SWITCHIO_SOAK", 0)
	if length == 0 {
		t.Skip("the soak runs only with SWITCHIO_SOAK set (e.g. 30m)")
	}
	rate := envInt("SWITCHIO_SOAK_RATE", 300)
	faultEvery := envDur("SWITCHIO_SOAK_FAULT_EVERY", 30*time.Second)
	heapEvery := envDur("SWITCHIO_SOAK_HEAP_EVERY", 5*time.Minute)
	fds0 := openFDs()

	cl, err := fsemu.StartCluster(context.Background(), 3, fsemu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	servers := append([]*fsemu.Server(nil), cl.Servers...)
	var addrs []string
	for _, s := range servers {
		addrs = append(addrs, s.Addr())
	}
	ctx := context.Background()
	pool, err := cluster.NewPool(ctx, addrs, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	dir := t.TempDir()
	m, err := loadtest.Start(ctx, pool, loadtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var records atomic.Int64
	cfg := dialer.Config{Rate: float64(rate), Limit: 20 * rate, MaxOffered: 0, Duration: 5 * time.Second,
		ServerTimeout: 5 * time.Second, OnCall: func(r dialer.CallOutcome) { records.Add(1); m.Call(r) }}
	o, err := dialer.New(ctx, pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Setup(ctx, dialer.Settings{}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
		t.Fatal(err)
	}
	heap0 := liveHeapMB()
	t.Logf("start: %d calls/s for %v, a fault every %v; heap %.1f MB, %d fds", rate, length, faultEvery, heap0, fds0)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	faultT, heapT, tick := time.NewTicker(faultEvery), time.NewTicker(heapEvery), time.NewTicker(time.Second)
	defer faultT.Stop()
	defer heapT.Stop()
	defer tick.Stop()
	faults := map[string]int{}
	type restart struct {
		at       time.Time
		i        int
		esl, sip string
	}
	var pending []restart
	for time.Since(start) < length {
		select {
		case <-tick.C:
			m.Tick(o)
			for len(pending) > 0 && time.Now().After(pending[0].at) {
				p := pending[0]
				pending = pending[1:]
				s, err := fsemu.Start(context.Background(), fsemu.Config{ListenAddr: p.esl, SIPAddr: p.sip, Network: cl.Network})
				if err != nil {
					t.Fatalf("bring %s back: %v", p.esl, err)
				}
				// The killed server is dropped from the cluster too, so
				// the heap shows what lives, not the dead servers' state.
				servers[p.i], cl.Servers[p.i] = s, s
				faults["server brought back"]++
			}
		case <-heapT.C:
			st := o.Stats()
			t.Logf("%v: heap %.1f MB, %d fds, offered %d, active %d, records %d", time.Since(start).Round(time.Second),
				liveHeapMB(), openFDs(), st.Offered, st.Active, records.Load())
		case <-faultT.C:
			i := rnd.IntN(len(servers))
			s := servers[i]
			switch k := rnd.IntN(5); {
			case k == 0:
				s.DropConnections()
				faults["connection dropped"]++
			case k == 1:
				s.Stall(2 * time.Second)
				faults["server stalled 2 s"]++
			case k == 2:
				s.SendMalformed()
				faults["malformed frame"]++
			case k == 3:
				s.FloodEvents(20000)
				faults["event flood"]++
			case len(pending) == 0:
				pending = append(pending, restart{time.Now().Add(10 * time.Second), i, s.Addr(), s.SIPAddr()})
				s.Kill()
				faults["server killed"]++
			default:
				s.DropConnections()
				faults["connection dropped"]++
			}
		}
	}
	// SWITCHIO_SOAK_HEAPPROFILE=path writes the live heap before stopping
	// (go tool pprof -sample_index=inuse_space path).
	if path := os.Getenv("SWITCHIO_SOAK_HEAPPROFILE"); path != "" {
		runtime.GC()
		if f, err := os.Create(path); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	o.Stop()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := o.Wait(wctx); err != nil {
		t.Logf("wait: %v (abandoning what is left)", err)
		_ = o.Abandon(wctx, dialer.CauseDrainTimeout)
	}
	o.Close()
	sm, err := m.Close(o)
	if err != nil {
		t.Fatal(err)
	}
	run, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var stored int64
	for _, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		stored++
	}
	t.Logf("faults: %v", faults)
	t.Logf("offered %d, records %d (OnCall), %d (cdr.parquet); answered %d = completed %d + dropped %d + abandoned %d; failed %d %v; lost servers %d",
		sm.Offered, records.Load(), stored, sm.Answered, sm.Completed, sm.Dropped, sm.Abandoned, sm.Failed, sm.FailedByCause, len(sm.LostServers))
	pool.Close()
	t.Logf("end: heap %.1f MB, %d fds (start %.1f MB, %d fds)", liveHeapMB(), openFDs(), heap0, fds0)
	if uint64(records.Load()) != sm.Offered || uint64(stored) != sm.Offered || sm.Answered+sm.Failed != sm.Offered ||
		sm.Completed+sm.Dropped+sm.Abandoned != sm.Answered {
		t.Fatal("records and outcomes do not add up to the offered calls")
	}
}
