package fsemu

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

func rawDial(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readAll(t *testing.T, c net.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(c)
	return b
}

// TestACLRejection: a client the ACL refuses gets FreeSWITCH's rude
// rejection, a disconnect notice, and the socket closes.
func TestACLRejection(t *testing.T) {
	s := RunT(t, Config{ACL: func(net.IP) bool { return false }})
	got := readAll(t, rawDial(t, s))
	want := "Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n" +
		"Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
	if string(got) != want {
		t.Fatalf("got %q", got)
	}
}

func TestAuthTimeout(t *testing.T) {
	s := RunT(t, Config{AuthTimeout: 50 * time.Millisecond})
	got := readAll(t, rawDial(t, s))
	want := "Content-Type: auth/request\n\nContent-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
	if string(got) != want {
		t.Fatalf("got %q", got)
	}
}

func TestCommandsBeforeAuth(t *testing.T) {
	s := RunT(t)
	tc := dialT(t, s.Addr())
	if r := tc.cmd("api status").ReplyText(); r != "-ERR command not found" {
		t.Fatal(r)
	}
	if r := tc.cmd("auth ClueCon").ReplyText(); r != "+OK accepted" {
		t.Fatal(r)
	}
}

// TestCloseSendsShutdownNotice: Close tells clients the system is going
// down, as FreeSWITCH does on shutdown.
func TestCloseSendsShutdownNotice(t *testing.T) {
	s, err := Start(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, s)
	c.Write([]byte("auth ClueCon\n\n"))
	time.Sleep(20 * time.Millisecond)
	s.Close()
	s.Close() // idempotent
	got := readAll(t, c)
	if !bytes.HasSuffix(got, []byte("Content-Type: text/disconnect-notice\nContent-Length: 31\n\nThe system is being shut down.\n")) {
		t.Fatalf("got %q", got)
	}
}

func TestKillResetsConnections(t *testing.T) {
	s, err := Start(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, s)
	c.Write([]byte("auth ClueCon\n\n"))
	time.Sleep(20 * time.Millisecond)
	s.Kill()
	got := readAll(t, c)
	if bytes.Contains(got, []byte("disconnect-notice")) {
		t.Fatalf("Kill sent a notice: %q", got)
	}
}

// TestAPIBlocksConnection: events raised while an api command runs are
// written after its api/response, never before.
func TestAPIBlocksConnection(t *testing.T) {
	s := RunT(t, Config{Inbound: Inbound{Action: "answer", AnswerDelay: 100 * time.Millisecond}})
	tc := dialT(t, s.Addr())
	tc.cmd("auth ClueCon")
	tc.cmd("event plain CHANNEL_CREATE CHANNEL_ANSWER")
	tc.send("api originate {origination_uuid=55555555-0000-0000-0000-000000000001}sofia/external/1000@" + s.SIPAddr() + " &park()")
	m := tc.read()
	if m.ContentType() != wire.TypeAPIResponse || string(m.Body) != "+OK 55555555-0000-0000-0000-000000000001\n" {
		t.Fatalf("first frame after api originate: %s %q", m.ContentType(), m.Body)
	}
	// then the events it raised: 2 CREATE, 2 ANSWER
	for i := 0; i < 4; i++ {
		if m := tc.read(); !m.IsEvent() {
			t.Fatalf("frame %d: %s", i, m.ContentType())
		}
	}
}

func TestFaults(t *testing.T) {
	s := RunT(t)
	tc := dialT(t, s.Addr())
	tc.cmd("auth ClueCon")
	s.Stall(100 * time.Millisecond)
	start := time.Now()
	if r := tc.cmd("api hostname"); string(r.Body) != "fsemu" {
		t.Fatalf("%q", r.Body)
	}
	if time.Since(start) < 90*time.Millisecond {
		t.Fatal("Stall did not delay the reply")
	}
	s.SendMalformed()
	tc.c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := tc.r.ReadMessage(); err == nil {
		t.Fatal("malformed frame parsed")
	}
	c2 := rawDial(t, s)
	c2.Write([]byte("auth ClueCon\n\n"))
	time.Sleep(20 * time.Millisecond)
	s.DropConnections()
	got := readAll(t, c2)
	if bytes.Contains(got, []byte("disconnect-notice")) {
		t.Fatalf("DropConnections sent a notice: %q", got)
	}
	if n := s.CommandCount("auth"); n != 2 {
		t.Fatalf("CommandCount(auth) = %d", n)
	}
}

func TestMyEvents(t *testing.T) {
	s := RunT(t, Config{Inbound: Inbound{Action: "answer"}})
	out := apiText(s, "originate {origination_uuid=66666666-0000-0000-0000-000000000001}sofia/external/1000@"+s.SIPAddr()+" &park()")
	if out[0] != '+' {
		t.Fatal(out)
	}
	tc := dialT(t, s.Addr())
	tc.cmd("auth ClueCon")
	if r := tc.cmd("myevents 00000000-0000-0000-0000-000000000000 plain").ReplyText(); r != "-ERR invalid uuid" {
		t.Fatal(r)
	}
	if r := tc.cmd("myevents 66666666-0000-0000-0000-000000000001 json").ReplyText(); r != "+OK Events Enabled" {
		t.Fatal(r)
	}
	if r := tc.cmd("myevents 66666666-0000-0000-0000-000000000001").ReplyText(); r != "-ERR aready enabled." {
		t.Fatal(r)
	}
	s.HangupAll("")
	ev := tc.waitEvent(func(e *wire.Event) bool { return e.Name() == "CHANNEL_HANGUP_COMPLETE" })
	if ev.UniqueID() != "66666666-0000-0000-0000-000000000001" {
		t.Fatalf("myevents delivered %s", ev.UniqueID())
	}
}

func TestLogFrames(t *testing.T) {
	s := RunT(t, Config{Inbound: Inbound{Action: "answer"}})
	tc := dialT(t, s.Addr())
	tc.cmd("auth ClueCon")
	if r := tc.cmd("log 7").ReplyText(); r != "+OK log level 7 [7]" {
		t.Fatal(r)
	}
	if r := tc.cmd("log bogus").ReplyText(); r != "-ERR invalid log level" {
		t.Fatal(r)
	}
	tc.send("bgapi originate {origination_uuid=77777777-0000-0000-0000-000000000001}sofia/external/1000@" + s.SIPAddr() + " &park()")
	for {
		m := tc.read()
		if m.ContentType() != wire.TypeLogData {
			continue
		}
		if strings.Contains(string(m.Body), "New Channel sofia/external/1000@"+s.SIPAddr()+" [77777777-0000-0000-0000-000000000001]") {
			if m.Get("Log-Level") != "5" || m.Get("User-Data") != "77777777-0000-0000-0000-000000000001" {
				t.Fatalf("log headers %v", m.Headers)
			}
			break
		}
	}
	if r := tc.cmd("nolog").ReplyText(); r != "+OK no longer logging" {
		t.Fatal(r)
	}
	if r := tc.cmd("nolog").ReplyText(); r != "-ERR not loging" {
		t.Fatal(r)
	}
}

// TestLostEventsKill: a client that stops reading is dropped with
// FreeSWITCH's notice once its queue overflows.
func TestLostEventsKill(t *testing.T) {
	s := RunT(t)
	s.queueLimit = 2000 // FreeSWITCH's is 100000; smaller keeps the test fast
	c := rawDial(t, s)
	c.Write([]byte("auth ClueCon\n\nevent plain CUSTOM fsemu::flood\n\n"))
	time.Sleep(50 * time.Millisecond)
	s.FloodEvents(40000)
	got := readAll(t, c)
	if !bytes.HasSuffix(got, []byte("Content-Type: text/disconnect-notice\nContent-Length: 39\n\nkilled listener because of lost events\n")) {
		t.Fatalf("tail %q", got[max(0, len(got)-200):])
	}
}

func TestFilterAndSendEvent(t *testing.T) {
	s := RunT(t)
	tc := dialT(t, s.Addr())
	tc.cmd("auth ClueCon")
	tc.cmd("event plain CUSTOM my::sub")
	if r := tc.cmd("filter Event-Subclass my::sub").ReplyText(); r != "+OK filter added. [Event-Subclass]=[my::sub]" {
		t.Fatal(r)
	}
	tc.cmd("sendevent CUSTOM\nEvent-Subclass: other::sub\nX: 1")
	r := tc.cmd("sendevent CUSTOM\nEvent-Subclass: my::sub\nX: 2")
	if !strings.HasPrefix(r.ReplyText(), "+OK ") {
		t.Fatal(r.ReplyText())
	}
	ev := tc.waitEvent(func(*wire.Event) bool { return true })
	if ev.Get("X") != "2" || ev.Get("Event-UUID") != r.ReplyText()[4:] {
		t.Fatalf("got %v", ev.Headers)
	}
	if r := tc.cmd("filter delete Event-Subclass my::sub").ReplyText(); r != "+OK filter deleted. [Event-Subclass][my::sub]" {
		t.Fatal(r)
	}
	if r := tc.cmd("noevents").ReplyText(); r != "+OK no longer listening for events" {
		t.Fatal(r)
	}
	if r := tc.cmd("noevents").ReplyText(); r != "-ERR not listening for events" {
		t.Fatal(r)
	}
	if r := tc.cmd("linger").ReplyText(); r != "-ERR not controlling a session" {
		t.Fatal(r)
	}
}

// TestSendmsgExecute runs playback through sendmsg with an event-uuid and
// checks Application-UUID on the EXECUTE events and the real duration.
func TestSendmsgExecute(t *testing.T) {
	clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := RunT(t, Config{Clock: clock, HeartbeatInterval: -1, Inbound: Inbound{Action: "answer"}})
	res := bgOriginate(s, "{origination_uuid=88888888-0000-0000-0000-000000000001}sofia/external/1000@"+s.SIPAddr()+" &park()")
	waitResult(t, res, clock, 10*time.Millisecond)
	tc := dialT(t, s.Addr())
	tc.cmd("auth ClueCon")
	tc.cmd("event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE PLAYBACK_STOP")
	r := tc.cmd("sendmsg 88888888-0000-0000-0000-000000000001\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://1500\nevent-uuid: my-app-uuid\nevent-lock: true")
	if r.ReplyText() != "+OK" {
		t.Fatal(r.ReplyText())
	}
	ev := tc.waitEvent(func(e *wire.Event) bool { return e.Name() == "CHANNEL_EXECUTE" && e.Get("Application") == "playback" })
	if ev.Get("Application-UUID") != "my-app-uuid" {
		t.Fatalf("Application-UUID %q", ev.Get("Application-UUID"))
	}
	s.ChannelCount() // the message is handled under the lock: its timer is set now
	clock.Advance(1499 * time.Millisecond)
	clock.Advance(time.Millisecond)
	stop := tc.waitEvent(func(e *wire.Event) bool { return e.Name() == "PLAYBACK_STOP" })
	if stop.Get("Playback-Status") != "done" || stop.Var("playback_ms") != "1500" {
		t.Fatalf("stop: %s %s", stop.Get("Playback-Status"), stop.Var("playback_ms"))
	}
	done := tc.waitEvent(func(e *wire.Event) bool { return e.Name() == "CHANNEL_EXECUTE_COMPLETE" })
	if done.Get("Application-Response") != "FILE PLAYED" || done.Get("Application-UUID") != "my-app-uuid" {
		t.Fatalf("complete: %v", done.Get("Application-Response"))
	}
	// hangup via sendmsg
	if r := tc.cmd("sendmsg 88888888-0000-0000-0000-000000000001\ncall-command: hangup\nhangup-cause: USER_BUSY").ReplyText(); r != "+OK" {
		t.Fatal(r)
	}
	s.ChannelCount() // barrier
	if _, ok := s.Channel("88888888-0000-0000-0000-000000000001"); ok {
		t.Fatal("still up")
	}
}

// TestCloseWithBlockedOriginate: Close returns even while a client waits
// in a blocking api originate that nobody answers.
func TestCloseWithBlockedOriginate(t *testing.T) {
	clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := Start(t.Context(), Config{Clock: clock, HeartbeatInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, s)
	c.Write([]byte("auth ClueCon\n\napi originate sofia/external/1000@" + s.SIPAddr() + " &park()\n\n"))
	for s.ChannelCount() < 2 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a blocked api originate")
	}
}

// TestCloseWithStuckClient: a client that stopped reading cannot hold up
// Close for more than the write deadline.
func TestCloseWithStuckClient(t *testing.T) {
	s, err := Start(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, s)
	c.Write([]byte("auth ClueCon\n\nevent plain CUSTOM fsemu::flood\n\n"))
	time.Sleep(50 * time.Millisecond)
	s.FloodEvents(20000) // fills the socket buffers; the client never reads
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("Close took %v", d)
	}
}

// TestDenyAPI: denied commands get mod_event_socket's permission reply
// (a command/reply, for api and bgapi alike); others still run.
func TestDenyAPI(t *testing.T) {
	s := RunT(t)
	s.DenyAPI("FSCTL")
	tc := dialT(t, s.Addr())
	if r := tc.cmd("auth ClueCon").ReplyText(); r != "+OK accepted" {
		t.Fatal(r)
	}
	for _, cmd := range []string{"api fsctl sps 10", "bgapi fsctl max_sessions 5"} {
		m := tc.cmd(cmd)
		if m.ContentType() != "command/reply" || m.ReplyText() != "-ERR permission denied" {
			t.Fatalf("%s: %q %q", cmd, m.ContentType(), m.ReplyText())
		}
	}
	if m := tc.cmd("api status"); m.ContentType() != "api/response" {
		t.Fatalf("status: %q", m.ContentType())
	}
	s.DenyAPI()
	if m := tc.cmd("api fsctl sps 10"); !strings.HasPrefix(string(m.Body), "+OK") {
		t.Fatalf("after allowing: %q", m.Body)
	}
}
