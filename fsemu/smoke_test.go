package fsemu

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

type testClient struct {
	t *testing.T
	c net.Conn
	r *wire.Reader
}

func dialT(t *testing.T, addr string) *testClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc := &testClient{t: t, c: c, r: wire.NewReader(bufio.NewReader(c))}
	tc.read() // auth/request
	return tc
}

func (tc *testClient) read() *wire.Message {
	tc.t.Helper()
	tc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	m, err := tc.r.ReadMessage()
	if err != nil {
		tc.t.Fatalf("read: %v", err)
	}
	return m
}

func (tc *testClient) send(cmd string) {
	tc.t.Helper()
	if !strings.HasSuffix(cmd, "\n\n") {
		cmd += "\n\n"
	}
	if _, err := tc.c.Write([]byte(cmd)); err != nil {
		tc.t.Fatal(err)
	}
}

// cmd sends a command and returns the next non-event frame.
func (tc *testClient) cmd(cmd string) *wire.Message {
	tc.t.Helper()
	tc.send(cmd)
	for {
		m := tc.read()
		if !m.IsEvent() && m.ContentType() != wire.TypeLogData {
			return m
		}
	}
}

// waitEvent reads until an event satisfying f arrives.
func (tc *testClient) waitEvent(f func(*wire.Event) bool) *wire.Event {
	tc.t.Helper()
	for {
		m := tc.read()
		if !m.IsEvent() {
			continue
		}
		ev, err := wire.ParseEvent(m.ContentType(), m.Body)
		if err != nil {
			tc.t.Fatal(err)
		}
		if f(ev) {
			return ev
		}
	}
}

func TestSmokeCall(t *testing.T) {
	c := RunClusterT(t, 2)
	fs1, fs2 := c.Server(0), c.Server(1)
	a := dialT(t, fs1.Addr())
	if r := a.cmd("auth ClueCon").ReplyText(); r != "+OK accepted" {
		t.Fatal(r)
	}
	a.cmd("event plain ALL")
	b := dialT(t, fs2.Addr())
	b.cmd("auth ClueCon")
	b.cmd("event plain CHANNEL_CREATE CHANNEL_PARK")
	r := a.cmd("bgapi originate {origination_uuid=aaaa,sip_h_X-Test=1}sofia/external/1000@" + fs2.SIPAddr() + " &park()")
	if !strings.HasPrefix(r.ReplyText(), "+OK Job-UUID: ") {
		t.Fatal(r.ReplyText())
	}
	ev := b.waitEvent(func(e *wire.Event) bool { return e.Name() == "CHANNEL_PARK" })
	if ev.Var("sip_h_X-Test") != "1" {
		t.Fatalf("sip_h var missing")
	}
	bu := ev.UniqueID()
	if got := string(b.cmd("api uuid_answer " + bu).Body); got != "+OK\n" {
		t.Fatal(got)
	}
	job := a.waitEvent(func(e *wire.Event) bool { return e.Name() == "BACKGROUND_JOB" })
	if job.Body != "+OK aaaa\n" {
		t.Fatalf("job %q", job.Body)
	}
	a.cmd("api uuid_kill aaaa")
	a.waitEvent(func(e *wire.Event) bool { return e.Name() == "CHANNEL_DESTROY" })
	deadline := time.Now().Add(2 * time.Second)
	for fs2.ChannelCount() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := fs2.ChannelCount(); n != 0 {
		t.Fatalf("fs2 channels %d", n)
	}
}
