package fsemu

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// TestCapacityDelaysCommands: on a saturated server a controller's
// hang-up queues behind the originates it sent before. One connection
// sends n bgapi originates (100 ms of CPU each on one core) and then
// "api uuid_kill" of a call already up: the kill takes effect only once
// the n set-ups have had their CPU, and the replies keep their order.
func TestCapacityDelaysCommands(t *testing.T) {
	const cost = 100 * time.Millisecond
	for _, n := range []int{0, 1, 10, 30} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			clock := NewVirtualClock(captureEpoch)
			c := RunClusterT(t, 2, Config{Clock: clock, HeartbeatInterval: -1, Inbound: Inbound{Action: "answer"},
				MaxSessions: 100000, SessionsPerSecond: 100000,
				Capacity: &Capacity{Cores: 1, SetupCost: cost, HoldCostPerSecond: time.Nanosecond, CommandCost: time.Nanosecond}})
			fs1, fs2 := c.Server(0), c.Server(1)
			const id = "ca9ac000-0000-0000-0000-000000000001"
			res := bgOriginate(fs1, "{origination_uuid="+id+"}sofia/external/1000@"+fs2.SIPAddr()+" &park()")
			if r := waitResult(t, res, clock, 10*time.Millisecond); r[0] != '+' {
				t.Fatal(r)
			}
			clock.Advance(time.Second) // the set-up's CPU is long paid

			g := newGoldenRun(t, fs1, clock, nil)
			g.prepare(nil)
			g.step(txCommand{raw: []byte("auth ClueCon\n\n")})
			var batch strings.Builder
			for i := 0; i < n; i++ {
				batch.WriteString("bgapi originate sofia/external/1000@" + fs2.SIPAddr() + " &park()\n\n")
			}
			batch.WriteString("api uuid_kill " + id + "\n\n")
			start := clock.Now()
			if _, err := g.conn.Write([]byte(batch.String())); err != nil {
				t.Fatal(err)
			}
			killed := time.Duration(-1)
			for step := 0; step < 1000 && killed < 0; step++ {
				if step == 0 {
					// let the connection take what it can at this instant:
					// the kill when nothing is queued, else the first
					// originate (done once a second command is read)
					pollUntil(t, func() bool {
						if n == 0 {
							_, up := fs1.Channel(id)
							return !up
						}
						return fs1.CommandCount("bgapi")+fs1.CommandCount("api") >= 2
					})
				}
				if _, ok := fs1.Channel(id); !ok {
					killed = clock.Now().Sub(start)
					break
				}
				clock.Advance(10 * time.Millisecond)
				// the connection catches up: it waits for CPU again or
				// has run the kill
				pollUntil(t, func() bool {
					_, up := fs1.Channel(id)
					return !up || cpuWaiting(fs1)
				})
			}
			want := time.Duration(n) * cost
			if killed < want || killed > want+20*time.Millisecond {
				t.Errorf("uuid_kill took effect after %v, want the %v of CPU queued ahead of it", killed, want)
			}
			// replies in order: n "+OK Job-UUID", then the kill's +OK
			var replies []string
			for len(replies) < n+1 {
				f, ok := g.readFrame(5 * time.Second)
				if !ok {
					t.Fatalf("%d replies of %d", len(replies), n+1)
				}
				if f.ev == nil {
					replies = append(replies, f.ct+" "+firstWord(strings.TrimSpace(f.msg.Get("Reply-Text")+string(f.msg.Body))))
				}
			}
			for i, r := range replies {
				want := wire.TypeCommandReply + " +OK"
				if i == n {
					want = wire.TypeAPIResponse + " +OK"
				}
				if r != want {
					t.Errorf("reply %d: %q, want %q", i, r, want)
				}
			}
		})
	}
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
