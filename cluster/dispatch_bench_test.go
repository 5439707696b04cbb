package cluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchio/switchio/esl/wire"
)

type countingApp struct{ n int }

func (a *countingApp) Setup(ctx context.Context, r *Registrar) error {
	for _, ev := range []string{"CHANNEL_PARK", "CHANNEL_ANSWER", "CHANNEL_EXECUTE", "CHANNEL_STATE"} {
		r.On(ev, func(ctx context.Context, e *Event) { a.n++ })
	}
	return nil
}

type countingApp2 struct{ countingApp }
type countingApp3 struct{ countingApp }

// newLoopClient returns a client with no connection whose handle can be
// fed events directly, and a context that counts as the loop's.
func newLoopClient(cfg Config) (*Client, context.Context) {
	cfg.setDefaults()
	c := &Client{cfg: cfg, log: cfg.Logger, reg: newCallRegistry(), subs: map[string]bool{},
		sessions: map[string]*Session{}, apps: map[string][]*loadedApp{}, ownJobs: map[string]struct{}{}}
	c.inbox.limit = defaultHeldEvents
	c.counters.init()
	empty := map[string][]*loadedApp{}
	c.appsView.Store(&empty)
	ctx := context.WithValue(context.Background(), loopKey{}, true)
	c.ctx = ctx
	return c, ctx
}

// captureBodies returns the plain bodies of the channel events of a real
// FreeSWITCH call, as read from the wire.
func captureBodies(tb testing.TB) [][]byte {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "captures", "06_call_sofia_plain_all.rx.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	r := wire.NewReader(bytesReader(data))
	var out [][]byte
	for {
		m, err := r.ReadMessage()
		if err != nil {
			break
		}
		if m.ContentType() != wire.TypeEventPlain {
			continue
		}
		ev, err := wire.ParseEventPlain(m.Body)
		if err != nil {
			tb.Fatal(err)
		}
		if ev.UniqueID() != "" {
			out = append(out, append([]byte(nil), m.Body...))
		}
	}
	return out
}

// captureEvents returns the channel events of a real FreeSWITCH call.
func captureEvents(tb testing.TB) []*wire.Event {
	var evs []*wire.Event
	for _, b := range captureBodies(tb) {
		ev, err := wire.ParseEventPlain(b)
		if err != nil {
			tb.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// BenchmarkDispatch measures the loop's cost per event (tracking plus
// dispatch) with three apps loaded under the events' app id, on the
// channel events of a real call whose sessions stay tracked.
func BenchmarkDispatch(b *testing.B) {
	evs := captureEvents(b)
	c, ctx := newLoopClient(Config{})
	if err := c.Load(ctx, DefaultAppID, &countingApp{}, &countingApp2{}, &countingApp3{}); err != nil {
		b.Fatal(err)
	}
	var live []*wire.Event
	for _, ev := range evs {
		if ev.Name() != "CHANNEL_DESTROY" {
			live = append(live, ev)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.handle(ctx, live[i%len(live)])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
}
