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

// TestDTMFDuration: the far end reports each digit's duration in 8 kHz
// samples rounded up to whole 20 ms packets; the default is 2080.
func TestDTMFDuration(t *testing.T) {
	tests := []struct {
		arg  string
		want []string // DTMF-Digit:DTMF-Duration in order
	}{
		{"12#", []string{"1:2080", "2:2080", "#:2080"}},
		{"5@100", []string{"5:800"}},
		{"6@250", []string{"6:2080"}},
		{"7@10", []string{"7:480"}}, // below the 400-sample minimum
	}
	c := RunClusterT(t, 2, Config{Inbound: Inbound{Action: "answer"}})
	fs1, fs2 := c.Server(0), c.Server(1)
	a := dialT(t, fs1.Addr())
	a.cmd("auth ClueCon")
	b := dialT(t, fs2.Addr())
	b.cmd("auth ClueCon")
	b.cmd("event plain DTMF")
	if r := string(a.cmd("api originate {origination_uuid=dtmf-a}sofia/external/1000@" + fs2.SIPAddr() + " &park()").Body); r != "+OK dtmf-a\n" {
		t.Fatal(r)
	}
	for _, tt := range tests {
		if r := string(a.cmd("api uuid_send_dtmf dtmf-a " + tt.arg).Body); !strings.HasPrefix(r, "+OK") {
			t.Fatal(r)
		}
		for _, want := range tt.want {
			ev := b.waitEvent(func(e *wire.Event) bool { return e.Name() == "DTMF" })
			if got := ev.Get("DTMF-Digit") + ":" + ev.Get("DTMF-Duration"); got != want {
				t.Errorf("uuid_send_dtmf %s: got %s, want %s", tt.arg, got, want)
			}
		}
	}
}
