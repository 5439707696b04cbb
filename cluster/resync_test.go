package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/fsemu"

	"github.com/switchio/switchio/esl/wire"
)

func TestReconcile(t *testing.T) {
	tests := []struct {
		name      string
		out       string
		carried   []string // tracked before the reconnect; default a and b
		destroyed []string // CHANNEL_DESTROY among the queued events
		dumps     map[string]*wire.Event
		dumpErr   error // for uuids not in dumps; nil: no dump at all
		wantErr   bool
		wantKept  []string // tracked uuids after reconcile
		answered  []string
		wantCause map[string]string // destroyed uuid -> cause counted
		wantApp   map[string]string // uuid -> app id
	}{
		{name: "error reply keeps sessions", out: "-ERR no reply\n", wantErr: true, wantKept: []string{"a", "b"}},
		{name: "garbage keeps sessions", out: "<html>", wantErr: true, wantKept: []string{"a", "b"}},
		{name: "no channels ends all", out: `{"row_count": 0}` + "\n", wantCause: map[string]string{"a": "LOST_ON_RECONNECT", "b": "LOST_ON_RECONNECT"}},
		{name: "kept, answered meanwhile, adopted",
			out:       `{"row_count":2,"rows":[{"uuid":"a","direction":"inbound","callstate":"ACTIVE","call_uuid":"a"},{"uuid":"c","direction":"outbound","callstate":"RINGING","call_uuid":"c","dest":"1000"}]}`,
			wantKept:  []string{"a", "c"},
			answered:  []string{"a"},
			wantCause: map[string]string{"b": "LOST_ON_RECONNECT"}},
		{name: "session seen since the reconnect is not ended",
			out: `{"row_count": 0}`, carried: []string{"a"}, wantKept: []string{"b"},
			wantCause: map[string]string{"a": "LOST_ON_RECONNECT"}},
		{name: "channel destroyed by a queued event is not adopted",
			out:       `{"row_count":2,"rows":[{"uuid":"a","callstate":"ACTIVE"},{"uuid":"d","callstate":"ACTIVE"}]}`,
			destroyed: []string{"d"}, wantKept: []string{"a"},
			wantCause: map[string]string{"b": "LOST_ON_RECONNECT"}},
		{name: "adopted from uuid_dump with its app id and call",
			out: `{"row_count":3,"rows":[{"uuid":"a"},{"uuid":"b"},{"uuid":"e","direction":"inbound","call_uuid":"e"}]}`,
			dumps: map[string]*wire.Event{"e": chanEvent("CHANNEL_DATA", "e", "Call-Direction", "outbound", "Caller-Destination-Number", "1000",
				"Answer-State", "answered", "variable_sip_h_"+HeaderAppID, "dumped", "variable_sip_h_"+HeaderOriginatingSession, "a")},
			wantKept: []string{"a", "b", "e"}, answered: []string{"e"},
			wantApp: map[string]string{"e": "dumped", "a": DefaultAppID}},
		{name: "gone before its dump (-ERR) is not adopted",
			out:     `{"row_count":3,"rows":[{"uuid":"a"},{"uuid":"b"},{"uuid":"f"}]}`,
			dumpErr: &esl.CommandError{Command: "api uuid_dump f", Reply: "-ERR No such channel!"}, wantKept: []string{"a", "b"}},
		{name: "dump failing otherwise adopts from the list",
			out:     `{"row_count":3,"rows":[{"uuid":"a"},{"uuid":"b"},{"uuid":"c","direction":"outbound","callstate":"RINGING","dest":"1000"}]}`,
			dumpErr: context.DeadlineExceeded, wantKept: []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ctx := newLoopClient(Config{})
			for _, id := range []string{"a", "b"} {
				ev := wire.NewEvent("CHANNEL_CREATE")
				ev.Add("Unique-ID", id)
				ev.Add("Call-Direction", "inbound")
				c.handle(ctx, ev)
			}
			carried := map[string]bool{"a": true, "b": true}
			if tt.carried != nil {
				carried = map[string]bool{}
				for _, id := range tt.carried {
					carried[id] = true
				}
			}
			destroyed := map[string]bool{}
			for _, id := range tt.destroyed {
				destroyed[id] = true
			}
			var dump func(context.Context, string) (*esl.Event, error)
			if tt.dumps != nil || tt.dumpErr != nil {
				dump = func(_ context.Context, uuid string) (*esl.Event, error) {
					if ev, ok := tt.dumps[uuid]; ok {
						return ev, nil
					}
					return nil, tt.dumpErr
				}
			}
			err := c.reconcile(context.Background(), ctx, tt.out, carried, destroyed, dump)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if got := len(c.Sessions()); got != len(tt.wantKept) {
				t.Fatalf("%d sessions tracked, want %v", got, tt.wantKept)
			}
			for _, id := range tt.wantKept {
				if c.Session(id) == nil {
					t.Errorf("session %s not tracked", id)
				}
			}
			for _, id := range tt.answered {
				if !c.Session(id).Answered() {
					t.Errorf("session %s not marked answered", id)
				}
			}
			if s := c.Session("c"); s != nil && (s.Destination() != "1000" || !s.IsOutbound() || s.Answered()) {
				t.Errorf("adopted session: dest %q direction %q answered %v", s.Destination(), s.Direction(), s.Answered())
			}
			if s := c.Session("e"); s != nil && (s.Destination() != "1000" || !s.IsOutbound() || s.Call() != c.Session("a").Call()) {
				t.Errorf("session adopted from its dump: dest %q direction %q call %q", s.Destination(), s.Direction(), s.Call().Key())
			}
			for id, app := range tt.wantApp {
				if got := c.Session(id).AppID(); got != app {
					t.Errorf("session %s: app id %q, want %q", id, got, app)
				}
			}
			k := c.Counters()
			if k.HangupCauses["LOST_ON_RECONNECT"] != uint64(len(tt.wantCause)) {
				t.Errorf("causes %v, want %v", k.HangupCauses, tt.wantCause)
			}
			for id := range tt.wantCause {
				if c.Session(id) != nil {
					t.Errorf("session %s still tracked, want ended", id)
				}
			}
			if want := int64(len(tt.wantKept)); k.SessionsActive != want {
				t.Errorf("SessionsActive %d, want %d", k.SessionsActive, want)
			}
		})
	}
}

// TestResyncHandlesQueuedEventsFirst: channels made after a reconnect's
// subscription and before its "show channels" have their CHANNEL_CREATE
// held on the new connection (inbox); resync handles those events before it
// adopts what it does not know, so the sessions keep their app id and call.
func TestResyncHandlesQueuedEventsFirst(t *testing.T) {
	srv := fsemu.RunT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, loop := newLoopClient(Config{})
	c.addr = srv.Addr()
	for _, e := range baseEvents {
		c.subs[e] = true
	}
	conn, err := c.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const id = "5e1f0000-0000-4000-8000-000000000001"
	placed := make(chan string, 1)
	go func() {
		out, err := srv.API(ctx, "originate {origination_uuid="+id+",sip_h_"+HeaderAppID+"=queued,sip_h_"+
			HeaderOriginatingSession+"="+id+"}sofia/external/1000@"+srv.SIPAddr()+" &park()")
		if err != nil {
			out = err.Error()
		}
		placed <- out
	}()
	defer func() { srv.HangupAll("NORMAL_CLEARING"); <-placed }()
	held := func() int {
		c.inbox.mu.Lock()
		defer c.inbox.mu.Unlock()
		return len(c.inbox.held)
	}
	for held() < 2 { // both legs' CHANNEL_CREATE
		select {
		case <-ctx.Done():
			t.Fatal("events of the call never held")
		case <-time.After(time.Millisecond):
		}
	}
	c.resync(loop, conn)
	sessions := c.Sessions()
	if len(sessions) != 2 {
		t.Fatalf("%d sessions tracked, want both legs", len(sessions))
	}
	for _, s := range sessions {
		if s.AppID() != "queued" || s.Call().Key() != id {
			t.Errorf("leg %s (%s): app id %q, call %q; want queued, %s", s.UUID(), s.Direction(), s.AppID(), s.Call().Key(), id)
		}
	}
	if c.reg.len() != 1 {
		t.Errorf("%d calls, want 1", c.reg.len())
	}
}
