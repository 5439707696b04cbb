package fsemu

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/switchio/switchio/esl"
)

// TestInboundSocketAction: the "socket" action hands each inbound call,
// unanswered, to the outbound-socket handler at Inbound.Socket, with the
// call's data (its destination) in the connect reply; without an address
// the action is refused by Validate.
func TestInboundSocketAction(t *testing.T) {
	for _, tc := range []struct {
		in      Inbound
		wantErr bool
	}{
		{Inbound{Action: "socket", Socket: "127.0.0.1:8084"}, false},
		{Inbound{Action: "socket"}, true},
	} {
		if err := tc.in.Validate(); (err != nil) != tc.wantErr {
			t.Errorf("Validate(%+v) = %v, want error %v", tc.in, err, tc.wantErr)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan [2]string, 1)
	srv := &esl.Server{Handler: func(ctx context.Context, c *esl.OutboundConn) {
		d := c.ChannelData()
		got <- [2]string{d.Get("Caller-Destination-Number"), d.Get("Answer-State")}
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go srv.Serve(ctx, ln)
	defer srv.Close()
	c := RunClusterT(t, 2, Config{Inbound: Inbound{Action: "socket", Socket: ln.Addr().String()}})
	res := bgOriginate(c.Server(0), "sofia/external/4242@"+c.Server(1).SIPAddr()+" &park()")
	select {
	case g := <-got:
		if g != [2]string{"4242", "ringing"} && g != [2]string{"4242", "early"} {
			t.Fatalf("handler got destination %q, answer state %q; want 4242, unanswered", g[0], g[1])
		}
	case <-ctx.Done():
		t.Fatal("no call reached the handler")
	}
	apiText(c.Server(0), "hupall")
	<-res
}
