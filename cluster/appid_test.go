package cluster

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/switchio/switchio/internal/syncbuf"
)

// An inbound call whose app id no loaded app serves is counted (total and
// per id) and logged once: the first of an id at Info, the next at Debug,
// with its app id, caller and destination. Calls a loaded app serves,
// outbound legs, and clients with no apps at all are not.
func TestUnroutedCalls(t *testing.T) {
	logs := &syncbuf.Buffer{}
	c, loop := newLoopClient(Config{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err := c.Load(loop, "mine", &appIDApp{id: "mine"}); err != nil {
		t.Fatal(err)
	}
	bare, bareLoop := newLoopClient(Config{})
	type leg struct {
		uuid, dir, appID, app string
	}
	tests := []struct {
		leg       leg
		wantID    string
		unrouted  bool
		wantLevel string // "" when not logged
	}{
		{leg{"u1", "inbound", "dial1-TonePlay", "TonePlay"}, "dial1-TonePlay", true, "INFO"},
		{leg{"u2", "inbound", "dial1-TonePlay", "TonePlay"}, "dial1-TonePlay", true, "DEBUG"},
		{leg{"u3", "inbound", "dial1-TonePlay", "mine"}, "mine", false, ""},
		{leg{"u4", "outbound", "dial1-TonePlay", "TonePlay"}, "dial1-TonePlay", false, ""},
		{leg{"u5", "inbound", "", ""}, DefaultAppID, true, "INFO"},
		{leg{"u6", "inbound", "mine", ""}, "mine", false, ""},
	}
	var wantUnrouted uint64
	for _, tt := range tests {
		kv := []string{"Call-Direction", tt.leg.dir, "Caller-Caller-ID-Number", "caller-" + tt.leg.uuid,
			"Caller-Destination-Number", "dest-" + tt.leg.uuid}
		if tt.leg.appID != "" {
			kv = append(kv, "variable_sip_h_"+HeaderAppID, tt.leg.appID)
		}
		if tt.leg.app != "" {
			kv = append(kv, "variable_sip_h_"+HeaderApp, tt.leg.app)
		}
		before := logs.String()
		c.handle(loop, chanEvent("CHANNEL_CREATE", tt.leg.uuid, kv...))
		bare.handle(bareLoop, chanEvent("CHANNEL_CREATE", tt.leg.uuid, kv...))
		if got := c.Session(tt.leg.uuid).AppID(); got != tt.wantID {
			t.Errorf("%s: app id %q, want %q", tt.leg.uuid, got, tt.wantID)
		}
		logged := strings.TrimPrefix(logs.String(), before)
		if tt.wantLevel == "" {
			if logged != "" {
				t.Errorf("%s: logged %q, want nothing", tt.leg.uuid, logged)
			}
		} else {
			for _, want := range []string{"level=" + tt.wantLevel, "app_id=" + tt.wantID, "caller=caller-" + tt.leg.uuid,
				"destination=dest-" + tt.leg.uuid, "served_ids=[mine]"} {
				if !strings.Contains(logged, want) {
					t.Errorf("%s: logged %q, want %q in it", tt.leg.uuid, logged, want)
				}
			}
			if strings.Count(logged, "\n") != 1 {
				t.Errorf("%s: logged %q, want one line", tt.leg.uuid, logged)
			}
		}
		if tt.unrouted {
			wantUnrouted++
		}
		if k := c.Counters(); k.Unrouted != wantUnrouted {
			t.Errorf("after %s: %d unrouted, want %d", tt.leg.uuid, k.Unrouted, wantUnrouted)
		}
	}
	k := c.Counters()
	if k.UnroutedPerApp["dial1-TonePlay"] != 2 || k.UnroutedPerApp[DefaultAppID] != 1 || len(k.UnroutedPerApp) != 2 {
		t.Errorf("unrouted per app %v", k.UnroutedPerApp)
	}
	var sum Counters
	sum.Add(k)
	sum.Add(k)
	if sum.Unrouted != 2*k.Unrouted || sum.UnroutedPerApp["dial1-TonePlay"] != 4 {
		t.Errorf("summed %d unrouted, per app %v", sum.Unrouted, sum.UnroutedPerApp)
	}
	if k := bare.Counters(); k.Unrouted != 0 || len(k.UnroutedPerApp) != 0 {
		t.Errorf("a client with no apps counted %d unrouted (%v)", k.Unrouted, k.UnroutedPerApp)
	}
}
