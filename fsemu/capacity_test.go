package fsemu

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// TestCapacityCommandDelay: on a server with set-ups waiting for CPU an
// ESL command is delayed by processor sharing with them, not by their
// backlog (Capacity): n originates wait in the backlog (10 s of CPU each,
// so none is done during the test), then one connection sends
// "api uuid_kill" and "bgapi uuid_kill" of two calls already up. Each
// command completes CommandCost × max(1, (n+1)/Cores) after the one
// before it, at most CommandCost plus one scheduler slice; the bgapi's
// job kills at its +OK; the replies keep their order.
func TestCapacityCommandDelay(t *testing.T) {
	const (
		cost = 100 * time.Microsecond
		step = time.Microsecond // virtual clock step: the measure's resolution
	)
	for _, tc := range []struct {
		cores, n int
		want     time.Duration // each command's delay
	}{
		{2, 0, 100 * time.Microsecond},    // idle: the command's own CPU
		{2, 1, 100 * time.Microsecond},    // a core each
		{2, 3, 200 * time.Microsecond},    // 4 threads on 2 cores
		{2, 9, 500 * time.Microsecond},    // 10 threads on 2 cores
		{2, 29, 1500 * time.Microsecond},  // 30 threads on 2 cores
		{2, 200, 1600 * time.Microsecond}, // bound: 100 µs + 1.5 ms slice
		{1, 4, 500 * time.Microsecond},    // 5 threads on 1 core
		{1, 100, 850 * time.Microsecond},  // bound: 100 µs + 0.75 ms slice
	} {
		t.Run(fmt.Sprintf("cores=%d/setups=%d", tc.cores, tc.n), func(t *testing.T) {
			clock := NewVirtualClock(captureEpoch)
			c := RunClusterT(t, 2, Config{Clock: clock, HeartbeatInterval: -1, Inbound: Inbound{Action: "answer"},
				MaxSessions: 100000, SessionsPerSecond: 100000,
				Capacity: &Capacity{Cores: tc.cores, SetupCost: 10 * time.Second, HoldCostPerSecond: time.Nanosecond, CommandCost: cost}})
			fs1, fs2 := c.Server(0), c.Server(1)
			dial := "sofia/external/1000@" + fs2.SIPAddr() + " &park()"
			ids := []string{"ca9ac000-0000-0000-0000-000000000001", "ca9ac000-0000-0000-0000-000000000002"}
			var res []chan string
			for _, id := range ids {
				res = append(res, bgOriginate(fs1, "{origination_uuid="+id+"}"+dial))
			}
			for _, ch := range res {
				if r := waitResult(t, ch, clock, 100*time.Millisecond); r[0] != '+' {
					t.Fatal(r)
				}
			}
			clock.Advance(time.Minute) // their set-ups' CPU is long paid

			for i := 0; i < tc.n; i++ {
				fs1.lock()
				fs1.runAPI("originate "+dial, nil, func(string) {})
				fs1.unlock()
			}
			pollUntil(t, func() bool { return setupsPending(fs1) == tc.n })

			g := newGoldenRun(t, fs1, clock, nil)
			g.prepare(nil)
			g.step(txCommand{raw: []byte("auth ClueCon\n\n")})
			start := clock.Now()
			if _, err := g.conn.Write([]byte("api uuid_kill " + ids[0] + "\n\nbgapi uuid_kill " + ids[1] + "\n\n")); err != nil {
				t.Fatal(err)
			}
			killed := []time.Duration{-1, -1}
			up := func(i int) bool { _, ok := fs1.Channel(ids[i]); return ok }
			pollUntil(t, func() bool { return cpuWaiting(fs1) })
			for i := 0; i < 10000 && killed[1] < 0; i++ {
				clock.Advance(step)
				// the connection catches up: it waits for CPU again or
				// has run both commands
				pollUntil(t, func() bool { return !up(1) || cpuWaiting(fs1) })
				for k := range killed {
					if killed[k] < 0 && !up(k) {
						killed[k] = clock.Now().Sub(start)
					}
				}
			}
			if setupsPending(fs1) != tc.n {
				t.Fatalf("%d set-ups in the backlog at the end, want %d", setupsPending(fs1), tc.n)
			}
			// the first command's delay is counted from the write; the
			// second's from the step that released the first
			if d := killed[0]; d < tc.want || d > tc.want+step {
				t.Errorf("api uuid_kill took effect after %v, want %v", d, tc.want)
			}
			if d := killed[1] - killed[0]; d < tc.want-step || d > tc.want+step {
				t.Errorf("bgapi uuid_kill took effect %v after the api one, want %v", d, tc.want)
			}
			// replies in order: the api's response, then the bgapi's +OK
			var replies []string
			for len(replies) < 2 {
				f, ok := g.readFrame(5 * time.Second)
				if !ok {
					t.Fatalf("%d replies of 2", len(replies))
				}
				if f.ev == nil {
					replies = append(replies, f.ct+" "+firstWord(strings.TrimSpace(f.msg.Get("Reply-Text")+string(f.msg.Body))))
				}
			}
			if want := []string{wire.TypeAPIResponse + " +OK", wire.TypeCommandReply + " +OK"}; !slices.Equal(replies, want) {
				t.Errorf("replies %q, want %q", replies, want)
			}
		})
	}
}

// setupsPending reports how many set-ups wait in s's CPU backlog.
func setupsPending(s *Server) int {
	s.lock()
	defer s.unlock()
	return s.capacity.pending(s.clock.Now())
}

// pollUntil waits for the emulator's goroutines to reach cond (the
// virtual clock does not move meanwhile).
func pollUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 5000; i++ {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition not reached")
}

// cpuWaiting reports whether a connection of s waits for CPU.
func cpuWaiting(s *Server) bool {
	s.lock()
	defer s.unlock()
	for c := range s.conns {
		if c.cpuWaiting.Load() {
			return true
		}
	}
	return false
}
