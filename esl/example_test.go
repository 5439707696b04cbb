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
	"github.com/switchio/switchio/fsemu"
)

// Dial connects and authenticates. The examples run against fsemu, the
// emulated FreeSWITCH in this module, so that they can check their output;
// against a real FreeSWITCH the address would be its event socket, e.g.
// "127.0.0.1:8021".
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs, err := fsemu.Start(ctx, fsemu.Config{Hostname: "fs1"})
	if err != nil {
		log.Fatal(err)
	}
	defer fs.Close()

	_, err = esl.Dial(ctx, fs.Addr(), esl.Config{Password: "wrong"})
	if errors.Is(err, esl.ErrAuth) {
		fmt.Println("wrong password")
	}

	c, err := esl.Dial(ctx, fs.Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	host, err := c.API(ctx, "hostname")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("connected to", host)
	// Output:
	// wrong password
	// connected to fs1
}

// startCluster starts two emulated FreeSWITCH servers on one SIP network
// whose far end (the second server's dialplan) answers calls, as the
// examples' stand-in for a real switch and the phones it calls.
func startCluster(ctx context.Context) (*fsemu.Cluster, error) {
	return fsemu.StartCluster(ctx, 2, fsemu.Config{Inbound: fsemu.Inbound{Action: "answer"}})
}

func ExampleConn_BgAPI() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs, err := startCluster(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer fs.Close()
	c, err := esl.Dial(ctx, fs.Server(0).Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// originate can take seconds: bgapi keeps the connection's events and
	// other replies flowing meanwhile. origination_uuid names the call so
	// that the output is the same on every run.
	job, err := c.BgAPI(ctx, "originate {origination_uuid=0f0f0f0f-0000-4000-8000-000000000001}sofia/external/1000@"+fs.Server(1).SIPAddr()+" &park()")
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
	// Output:
	// +OK 0f0f0f0f-0000-4000-8000-000000000001
}

func ExampleConn_Events() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs, err := startCluster(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer fs.Close()
	c, err := esl.Dial(ctx, fs.Server(0).Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(ctx, wire.FormatPlain, "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"); err != nil {
		log.Fatal(err)
	}
	// A call that is answered, then hung up.
	const id = "0f0f0f0f-0000-4000-8000-000000000002"
	if _, err := c.API(ctx, "originate {origination_uuid="+id+"}sofia/external/1000@"+fs.Server(1).SIPAddr()+" &park()"); err != nil {
		log.Fatal(err)
	}
	if _, err := c.API(ctx, "uuid_kill "+id); err != nil {
		log.Fatal(err)
	}
	for ev := range c.Events() { // in wire order; closed when the connection ends
		switch ev.Name() {
		case "CHANNEL_ANSWER":
			fmt.Println("answered", ev.UniqueID())
		case "CHANNEL_HANGUP_COMPLETE":
			fmt.Println("hung up", ev.UniqueID(), ev.HangupCause())
			return
		}
	}
	// Output:
	// answered 0f0f0f0f-0000-4000-8000-000000000002
	// hung up 0f0f0f0f-0000-4000-8000-000000000002 NORMAL_CLEARING
}

// A Server handles the calls FreeSWITCH hands to it with the socket
// application. Here the far end of an emulated call runs it, as the
// dialplan action <action application="socket" data="127.0.0.1:8084 async
// full"/> would.
func ExampleServer() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ended := make(chan struct{})
	s := &esl.Server{
		Handler: func(ctx context.Context, c *esl.OutboundConn) {
			defer close(ended)
			fmt.Println("call from", c.ChannelData().Get("Caller-Caller-ID-Number"))
			if err := c.MyEvents(ctx); err != nil {
				return
			}
			c.Linger(ctx, 5*time.Second) // events keep coming after the hang-up
			c.Execute(ctx, "", "answer", "")
			c.Execute(ctx, "", "playback", "tone_stream://%(200,0,440)")
			for ev := range c.Events() {
				switch ev.Name() {
				case "CHANNEL_ANSWER":
					fmt.Println("answered")
				case "CHANNEL_EXECUTE_COMPLETE":
					if ev.Get("Application") == "playback" {
						fmt.Println("played", ev.Get("Application-Data"))
						c.Execute(ctx, "", "hangup", "")
					}
				case "CHANNEL_HANGUP_COMPLETE":
					fmt.Println("hung up:", ev.HangupCause())
					return
				}
			}
		},
	}
	// s.ListenAndServe listens on s.Addr, a fixed address such as
	// 127.0.0.1:8084; here a free port, which the emulated dialplan calls.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(ctx, ln)
	defer s.Close()

	fs, err := fsemu.StartCluster(ctx, 2, fsemu.Config{Inbound: fsemu.Inbound{Action: "socket", Socket: ln.Addr().String()}})
	if err != nil {
		log.Fatal(err)
	}
	defer fs.Close()
	c, err := esl.Dial(ctx, fs.Server(0).Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.BgAPI(ctx, "originate {origination_caller_id_number=1001}sofia/external/1000@"+fs.Server(1).SIPAddr()+" &park()"); err != nil {
		log.Fatal(err)
	}
	<-ended
	// Output:
	// call from 1001
	// answered
	// played tone_stream://%(200,0,440)
	// hung up: NORMAL_CLEARING
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
