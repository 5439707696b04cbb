package fsemu_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/fsemu"
)

// An outbound-socket handler under test: the second server hands every
// call it receives to the handler (Inbound's "socket" action, as a
// dialplan's socket application would), and the test places a call from
// the first server and sees what the handler did.
func ExampleInbound_socket() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// the code under test: answer, then report how the call ended
	ended := make(chan string, 1)
	handler := func(ctx context.Context, c *esl.OutboundConn) {
		if c.MyEvents(ctx) != nil || c.Linger(ctx, time.Second) != nil {
			return
		}
		if err := c.Execute(ctx, "", "answer", ""); err != nil {
			return
		}
		for ev := range c.Events() {
			if ev.Name() == "CHANNEL_HANGUP" {
				ended <- ev.HangupCause()
				return
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &esl.Server{Handler: handler}
	go srv.Serve(ctx, ln)
	defer srv.Close()

	c, err := fsemu.StartCluster(ctx, 2, fsemu.Config{
		Inbound: fsemu.Inbound{Action: "socket", Socket: ln.Addr().String()},
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	conn, err := esl.Dial(ctx, c.Server(0).Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	job, err := conn.BgAPI(ctx, "originate sofia/external/1000@"+c.Server(1).SIPAddr()+" &park()")
	if err != nil {
		panic(err)
	}
	out, _ := job.Wait(ctx) // "+OK <uuid>": the handler answered
	fmt.Println(out[:3])
	conn.API(ctx, "uuid_kill "+out[4:len(out)-1]) // the caller hangs up
	fmt.Println("the handler saw", <-ended)
	// Output:
	// +OK
	// the handler saw NORMAL_CLEARING
}
