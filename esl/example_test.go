package esl_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
)

func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, "127.0.0.1:8021", esl.Config{Password: "ClueCon"})
	if errors.Is(err, esl.ErrAuth) {
		log.Fatal("wrong password")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	status, err := c.API(ctx, "status")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(status)
}

func ExampleConn_BgAPI() {
	ctx := context.Background()
	c, err := esl.Dial(ctx, "127.0.0.1:8021", esl.Config{Password: "ClueCon"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// originate can take seconds: bgapi keeps the connection's events and
	// other replies flowing meanwhile.
	job, err := c.BgAPI(ctx, "originate loopback/1000/default &park()")
	if err != nil {
		log.Fatal(err)
	}
	out, err := job.Wait(ctx)
	var ce *esl.CommandError
	if errors.As(err, &ce) {
		log.Printf("originate failed: %s", ce.Reply)
		return
	}
	fmt.Print(out) // "+OK <uuid>\n"
}

func ExampleConn_Events() {
	ctx := context.Background()
	c, err := esl.Dial(ctx, "127.0.0.1:8021", esl.Config{Password: "ClueCon"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(ctx, wire.FormatPlain, "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "CUSTOM sofia::register"); err != nil {
		log.Fatal(err)
	}
	for ev := range c.Events() { // in wire order; closed when the connection ends
		fmt.Println(ev.Name(), ev.UniqueID(), ev.HangupCause())
	}
	log.Printf("connection ended: %v", c.Err())
}

func ExampleServer() {
	s := &esl.Server{
		Addr: "127.0.0.1:8084", // dialplan: <action application="socket" data="127.0.0.1:8084 async full"/>
		Handler: func(ctx context.Context, c *esl.OutboundConn) {
			log.Printf("call %s from %s", c.UUID(), c.ChannelData().Get("Caller-Caller-ID-Number"))
			if err := c.MyEvents(ctx); err != nil {
				return
			}
			c.Linger(ctx, 5*time.Second)
			c.Execute(ctx, "", "answer", "")
			c.Execute(ctx, "", "playback", "tone_stream://%(1000,0,440)")
			for ev := range c.Events() {
				log.Print(ev.Name())
			}
		},
	}
	log.Fatal(s.ListenAndServe(context.Background()))
}

// ExampleConn_API runs against a tiny in-process stand-in for FreeSWITCH.
func ExampleConn_API() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() { // the fake server: auth, then one api command
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		r := wire.NewReader(nc)
		nc.Write([]byte("Content-Type: auth/request\n\n"))
		r.ReadCommand()
		nc.Write(wire.AppendReply(nil, "+OK accepted"))
		r.ReadCommand()
		nc.Write(wire.AppendAPIResponse(nil, []byte("-USAGE: <uuid> [cause]\n")))
		r.ReadCommand()
	}()

	ctx := context.Background()
	c, err := esl.Dial(ctx, ln.Addr().String(), esl.Config{Password: "ClueCon"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, err = c.API(ctx, "uuid_kill")
	var ce *esl.CommandError
	if errors.As(err, &ce) {
		fmt.Println("usage error:", ce.Usage)
		fmt.Println(ce.Reply)
	}
	// Output:
	// usage error: true
	// -USAGE: <uuid> [cause]
}
