package cluster

import (
	"testing"

	"github.com/switchio/switchio/esl/wire"
)

func TestReconcile(t *testing.T) {
	tests := []struct {
		name      string
		out       string
		wantErr   bool
		wantKept  []string // tracked uuids after reconcile
		answered  []string
		wantCause map[string]string // destroyed uuid -> cause counted
	}{
		{name: "error reply keeps sessions", out: "-ERR no reply\n", wantErr: true, wantKept: []string{"a", "b"}},
		{name: "garbage keeps sessions", out: "<html>", wantErr: true, wantKept: []string{"a", "b"}},
		{name: "no channels ends all", out: `{"row_count": 0}` + "\n", wantCause: map[string]string{"a": "LOST_ON_RECONNECT", "b": "LOST_ON_RECONNECT"}},
		{name: "kept, answered meanwhile, adopted",
			out:       `{"row_count":2,"rows":[{"uuid":"a","direction":"inbound","callstate":"ACTIVE","call_uuid":"a"},{"uuid":"c","direction":"outbound","callstate":"RINGING","call_uuid":"c","dest":"1000"}]}`,
			wantKept:  []string{"a", "c"},
			answered:  []string{"a"},
			wantCause: map[string]string{"b": "LOST_ON_RECONNECT"}},
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
			err := c.reconcile(ctx, tt.out)
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
			k := c.Counters()
			if k.HangupCauses["LOST_ON_RECONNECT"] != uint64(len(tt.wantCause)) {
				t.Errorf("causes %v, want %v", k.HangupCauses, tt.wantCause)
			}
			if want := int64(len(tt.wantKept)); k.SessionsActive != want {
				t.Errorf("SessionsActive %d, want %d", k.SessionsActive, want)
			}
		})
	}
}
