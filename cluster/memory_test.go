package cluster

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/switchio/switchio/esl/wire"
)

// sessionEvents returns, for one leg of a real call, the bodies of its
// CHANNEL_CREATE, CHANNEL_ANSWER and CHANNEL_PARK events and its uuid.
func sessionEvents(tb testing.TB) (uuid string, bodies [][]byte) {
	for _, b := range captureBodies(tb) {
		ev, err := wire.ParseEventPlain(b)
		if err != nil {
			tb.Fatal(err)
		}
		if uuid == "" && ev.Name() == "CHANNEL_CREATE" {
			uuid = ev.UniqueID()
		}
		if uuid != "" && ev.UniqueID() == uuid {
			switch ev.Name() {
			case "CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_PARK":
				bodies = append(bodies, b)
			}
		}
	}
	if len(bodies) < 2 {
		tb.Fatalf("capture has %d events for %s", len(bodies), uuid)
	}
	return uuid, bodies
}

// trackSessions feeds n legs' events, each parsed from its own wire bytes as
// the connection does, and returns the heap growth per tracked session.
func trackSessions(tb testing.TB, n int) float64 {
	uuid, bodies := sessionEvents(tb)
	c, ctx := newLoopClient(Config{KeepVariables: []string{"variable_sip_from_user"}})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		id := []byte(fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i))
		for _, b := range bodies {
			ev, err := wire.ParseEventPlain(bytes.ReplaceAll(b, []byte(uuid), id))
			if err != nil {
				tb.Fatal(err)
			}
			c.handle(ctx, ev)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := c.Counters().SessionsActive; got != int64(n) {
		tb.Fatalf("%d sessions tracked, want %d", got, n)
	}
	runtime.KeepAlive(c)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// TestSessionMemoryBounded checks that a tracked session (with its call and
// map entries) costs well under a kilobyte: it keeps copies of the few
// values it needs, never the parsed event they came from (several KB).
func TestSessionMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates")
	}
	per := trackSessions(t, 20000)
	t.Logf("%.0f bytes per tracked session", per)
	if per > 1024 {
		t.Fatalf("%.0f bytes per tracked session, want <= 1024", per)
	}
}

// BenchmarkSessionMemory reports the heap held per tracked session, over
// b.N sessions (at least 1000, so the maps' growth averages out).
func BenchmarkSessionMemory(b *testing.B) {
	b.ReportMetric(trackSessions(b, max(b.N, 1000)), "bytes/session")
}
