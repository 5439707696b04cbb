package originate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

// TestValuesSurviveTheServer originates built commands on an emulated server
// and reads every variable back from the channel: values holding commas,
// quotes, braces and spaces must arrive unchanged.
func TestValuesSurviveTheServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := fsemu.RunT(t, fsemu.Config{Inbound: fsemu.Inbound{Action: "answer"}})
	conn, err := esl.Dial(ctx, srv.Addr(), esl.Config{Password: srv.Password()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	values := []string{
		"plain",
		"PCMU,PCMA",
		"it's quoted",
		`back\slash`,
		"{braces}",
		"a,b;c:d|e",
		`"double"`,
	}
	for i, v := range values {
		uuid := "0f0f0f0f-0000-4000-8000-00000000000" + string(rune('0'+i))
		req := originate.Request{
			Endpoint: "loopback/1000",
			UUID:     uuid,
			Vars:     []originate.Var{{Name: "probe", Value: v}, {Name: "after", Value: "x"}},
		}
		cmd, err := req.Command()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		out, err := conn.API(ctx, cmd)
		if err != nil || !strings.HasPrefix(out, "+OK") {
			t.Fatalf("%s: %q %v", cmd, out, err)
		}
		ch, ok := srv.Channel(uuid)
		if !ok {
			t.Fatalf("%s: no channel", cmd)
		}
		if got := ch.Var("probe"); got != v {
			t.Errorf("%s: probe = %q, want %q", cmd, got, v)
		}
		if got := ch.Var("after"); got != "x" {
			t.Errorf("%s: after = %q, want x", cmd, got)
		}
	}
}
