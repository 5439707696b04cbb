package esl

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// startServer runs s on a 127.0.0.1 listener and returns its address; the
// cleanup closes the server and checks Serve's result.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	go func() { res <- s.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-res; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// TestOutboundCapture plays FreeSWITCH's side of 14_outbound_socket against
// a Server: connect + channel data, myevents, linger, event, sendmsg
// execute (with event-uuid), getvar, resume, sendmsg hangup, the linger
// notice (not fatal) and the final disconnect notice.
func TestOutboundCapture(t *testing.T) {
	d := loadDialog(t, "14_outbound_socket")
	handled := make(chan struct{})
	s := &Server{Handler: func(ctx context.Context, c *OutboundConn) {
		defer close(handled)
		cd := c.ChannelData()
		if c.UUID() != "da6d5328-5563-49bf-a521-4403a07828d8" || cd.Get("Channel-Name") != "loopback/1000-b" ||
			cd.Get("Event-Date-Local") != "2026-11-25 19:09:53" || cd.Get("Reply-Text") != "+OK\n" ||
			cd.Var("current_application_data") != "127.0.0.1:36227 async full" {
			t.Errorf("channel data: uuid=%q name=%q date=%q", c.UUID(), cd.Get("Channel-Name"), cd.Get("Event-Date-Local"))
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Error(err)
			}
		}
		must(c.MyEvents(ctx))
		must(c.Linger(ctx, 5*time.Second))
		must(c.Subscribe(ctx, wire.FormatPlain, "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "DTMF"))
		must(c.Execute(ctx, "", "answer", ""))
		must(c.SendMsg(ctx, "", SendMsg{App: "playback", Arg: "tone_stream://%(250,50,440)", EventUUID: "99999999-0000-0000-0000-000000000001"}))
		v, err := c.GetVar(ctx, "channel_name")
		must(err)
		if v != "loopback/1000-b" {
			t.Errorf("getvar = %q", v)
		}
		must(c.Resume(ctx))
		must(c.SendMsg(ctx, "", SendMsg{Command: "hangup", HangupCause: "NORMAL_CLEARING"}))
		var names []string
		appUUID := false
		for ev := range c.Events() {
			names = append(names, ev.Name())
			if ev.Get("Application-UUID") == "99999999-0000-0000-0000-000000000001" {
				appUUID = true
			}
		}
		select {
		case <-c.Lingering():
		default:
			t.Error("linger notice not reported")
		}
		var de *DisconnectError
		if !errors.As(c.Err(), &de) || de.Disposition != "disconnect" {
			t.Errorf("Err = %v", c.Err())
		}
		if !appUUID || len(names) < 5 {
			t.Errorf("events %v, application uuid seen %v", names, appUUID)
		}
	}}
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := newPeerConn(t, nc)
	p.replay(d)
	nc.Close()
	select {
	case <-handled:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not finish")
	}
}

// TestServerCloseEndsHandlers: Close cancels handler contexts and closes
// their connections; Serve returns after the handlers do.
func TestServerCloseEndsHandlers(t *testing.T) {
	started := make(chan struct{})
	s := &Server{Handler: func(ctx context.Context, c *OutboundConn) {
		close(started)
		<-ctx.Done()
		<-c.Done()
	}}
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	p := newPeerConn(t, nc)
	p.expect("connect")
	p.write(wire.AppendReply(nil, "%2BOK%0A", wire.Header{Name: "Unique-ID", Value: "u1"}))
	<-started
	s.Close()
}

// TestOutboundConnectTimeout: a peer that never answers connect is dropped
// after AuthTimeout and the server keeps serving.
func TestOutboundConnectTimeout(t *testing.T) {
	s := &Server{Config: Config{AuthTimeout: 50 * time.Millisecond}, Handler: func(ctx context.Context, c *OutboundConn) {}}
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	total := 0
	for {
		n, err := nc.Read(buf)
		total += n
		if err != nil {
			break
		}
	}
	if total != len("connect\n\n") {
		t.Fatalf("read %d bytes before close", total)
	}
}
