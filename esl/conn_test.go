package esl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

func TestAuthOKAndExitCapture(t *testing.T) {
	d := loadDialog(t, "01_auth_ok")
	tp := newTestPeer(t, func(p *peerConn) { p.replay(d) })
	c := dialPeer(t, tp, Config{})
	if err := c.Exit(testCtx(t)); err != nil {
		t.Fatalf("Exit: %v", err)
	}
	<-c.Done()
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("Err after Exit = %v, want ErrClosed", c.Err())
	}
	if _, ok := <-c.Events(); ok {
		t.Fatal("Events not closed")
	}
}

func TestAuthFailCapture(t *testing.T) {
	d := loadDialog(t, "02_auth_fail")
	tp := newTestPeer(t, func(p *peerConn) { p.replay(d) })
	var logs bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := Dial(testCtx(t), tp.addr, Config{Password: "WrongPassword", Logger: lg})
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if strings.Contains(err.Error(), "WrongPassword") || strings.Contains(logs.String(), "WrongPassword") {
		t.Fatalf("password leaked: %q / %q", err, logs.String())
	}
}

func TestPasswordNeverLogged(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api status")
		p.api("-ERR nope\n")
		p.read()
	})
	var logs bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := dialPeer(t, tp, Config{Logger: lg})
	_, err := c.API(testCtx(t), "status")
	c.Close()
	if strings.Contains(logs.String(), "ClueCon") || strings.Contains(fmt.Sprint(err, c.Err()), "ClueCon") {
		t.Fatalf("password leaked: %s", logs.String())
	}
	// A raw auth command is redacted in errors.
	if got := redact("auth s3cret"); strings.Contains(got, "s3cret") {
		t.Fatal(got)
	}
}

func TestRudeRejection(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.write(wire.AppendTypedBody(nil, wire.TypeRudeRejection, []byte("Access Denied, go away.\n")))
		p.write(wire.AppendTypedBody(nil, wire.TypeDisconnectNotice, []byte("Disconnected, goodbye.\n")))
	})
	_, err := Dial(testCtx(t), tp.addr, Config{Password: "ClueCon"})
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want ErrRejected", err)
	}
}

func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(testCtx(t), addr, Config{Password: "ClueCon"})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
	var ne *net.OpError
	if !errors.As(err, &ne) {
		t.Fatalf("net error not wrapped: %v", err)
	}
}

func TestAuthTimeout(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) { p.read() }) // never sends auth/request
	start := time.Now()
	_, err := Dial(testCtx(t), tp.addr, Config{Password: "ClueCon", AuthTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "waiting for auth/request") {
		t.Fatalf("err = %v, want ErrTimeout waiting for auth/request", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	// A ctx deadline during the handshake is both ErrTimeout and
	// context.DeadlineExceeded.
	dctx, dcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer dcancel()
	_, err = Dial(dctx, tp.addr, Config{Password: "ClueCon"})
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout and DeadlineExceeded", err)
	}
	// ctx cancellation during the handshake gives ctx.Err().
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = Dial(ctx, tp.addr, Config{Password: "ClueCon"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestNoReplyNamed: a server that authenticates and answers the first
// command, then reads and never replies. The command left unanswered is
// named in a *NoReplyError wrapping the ctx's error; a server silent after
// auth is named as such; the password never shows.
func TestNoReplyNamed(t *testing.T) {
	const pw = "No-Reply-Secret"
	tp := newTestPeer(t, func(p *peerConn) {
		p.write([]byte("Content-Type: auth/request\n\n"))
		p.expect("auth " + pw)
		p.reply("+OK accepted")
		p.expect("event plain CHANNEL_CREATE")
		p.reply("+OK event listener enabled plain")
		for p.read() != nil {
		}
	})
	c, err := Dial(testCtx(t), tp.addr, Config{Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(testCtx(t), wire.FormatPlain, "CHANNEL_CREATE"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.API(ctx, "sofia status profile external")
	var nr *NoReplyError
	if !errors.As(err, &nr) || nr.Command != "api sofia status profile external" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a *NoReplyError for api sofia status profile external wrapping DeadlineExceeded", err)
	}

	silent := newTestPeer(t, func(p *peerConn) {
		p.write([]byte("Content-Type: auth/request\n\n"))
		for p.read() != nil {
		}
	})
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, silent.addr, Config{Password: pw})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), `waiting for the reply to "auth <redacted>"`) || strings.Contains(err.Error(), pw) {
		t.Fatalf("err = %v, want ErrTimeout waiting for the reply to auth, without the password", err)
	}
}

// TestErrorsCapture replays 04_errors: typed errors for -ERR and -USAGE.
func TestErrorsCapture(t *testing.T) {
	d := loadDialog(t, "04_errors")
	tp := newTestPeer(t, func(p *peerConn) { p.replay(d) })
	c := dialPeer(t, tp, Config{})
	ctx := testCtx(t)
	errorsCaptureAPI(ctx, t, c)
	errorsCaptureCommands(ctx, t, c)
	errorsCaptureEnd(ctx, t, c)
}

// errorsCaptureAPI runs 04_errors' api commands: -ERR and -USAGE bodies.
func errorsCaptureAPI(ctx context.Context, t *testing.T, c *Conn) {
	t.Helper()
	var ce *CommandError
	_, err := c.API(ctx, "no_such_command")
	if !errors.As(err, &ce) || ce.Usage || ce.Reply != "-ERR no_such_command Command not found!" {
		t.Fatalf("api no_such_command: %v", err)
	}
	body, err := c.API(ctx, "uuid_kill 00000000-0000-0000-0000-000000000000")
	if !errors.As(err, &ce) || body != "-ERR No such channel!\n" {
		t.Fatalf("uuid_kill: %q %v", body, err)
	}
	for _, cmd := range []string{"uuid_kill", "originate"} {
		_, err = c.API(ctx, cmd)
		if !errors.As(err, &ce) || !ce.Usage || !strings.HasPrefix(ce.Reply, "-USAGE: ") {
			t.Fatalf("%s: %v", cmd, err)
		}
	}
	for _, cmd := range []string{"originate sofia/nonexistent/1000 &park()", "originate loopback/1000/nosuchcontext &park()"} {
		if _, err = c.API(ctx, cmd); !errors.As(err, &ce) {
			t.Fatalf("%s: %v", cmd, err)
		}
	}
}

// errorsCaptureCommands runs 04_errors' refused ESL commands and its
// failing background job.
func errorsCaptureCommands(ctx context.Context, t *testing.T, c *Conn) {
	t.Helper()
	var ce *CommandError
	m, err := c.SendCommand(ctx, "bogus_esl_command", nil, nil)
	if !errors.As(err, &ce) || ce.Reply != "-ERR command not found" || m == nil {
		t.Fatalf("bogus: %v", err)
	}
	if err = c.Subscribe(ctx, wire.FormatPlain, "NOT_AN_EVENT"); !errors.As(err, &ce) || ce.Reply != "-ERR no keywords supplied" {
		t.Fatalf("subscribe: %v", err)
	}
	if _, err = c.SendCommand(ctx, "event bogusformat ALL", nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err = c.SendCommand(ctx, "bgapi no_such_command", nil, nil); err != nil {
		t.Fatal(err)
	}
	// The application subscribed BACKGROUND_JOB itself here: its jobs'
	// events are delivered on Events() as well.
	if err = c.Subscribe(ctx, wire.FormatPlain, "BACKGROUND_JOB"); err != nil {
		t.Fatal(err)
	}
	j, err := c.BgAPI(ctx, "uuid_kill 00000000-0000-0000-0000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err = j.Wait(ctx); !errors.As(err, &ce) || ce.Reply != "-ERR No such channel!" {
		t.Fatalf("job: %v", err)
	}
}

// errorsCaptureEnd runs the rest of 04_errors: refused filter, nixevent
// and sendmsg, then exit, and checks the BACKGROUND_JOB events the
// application subscribed were delivered.
func errorsCaptureEnd(ctx context.Context, t *testing.T, c *Conn) {
	t.Helper()
	var ce *CommandError
	if _, err := c.SendCommand(ctx, "filter", nil, nil); !errors.As(err, &ce) {
		t.Fatalf("filter: %v", err)
	}
	if _, err := c.SendCommand(ctx, "nixevent", nil, nil); !errors.As(err, &ce) {
		t.Fatalf("nixevent: %v", err)
	}
	err := c.SendMsg(ctx, "00000000-0000-0000-0000-000000000000", SendMsg{Command: "hangup", HangupCause: "NORMAL_CLEARING"})
	if !errors.As(err, &ce) || !strings.HasPrefix(ce.Reply, "-ERR invalid session id") {
		t.Fatalf("sendmsg: %v", err)
	}
	if err := c.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for ev := range c.Events() {
		if ev.Name() == "BACKGROUND_JOB" {
			jobs = append(jobs, ev.Get("Job-Command"))
		}
	}
	if fmt.Sprint(jobs) != "[no_such_command uuid_kill]" {
		t.Fatalf("BACKGROUND_JOB events on Events(): %v", jobs)
	}
}

// TestBgAPICapture replays 05_bgapi: BgAPI subscribes BACKGROUND_JOB by
// itself (in plain, the initial format), jobs complete in plain, json and
// xml, and a caller-chosen Job-UUID is sent as a header.
func TestBgAPICapture(t *testing.T) {
	d := loadDialog(t, "05_bgapi")
	tp := newTestPeer(t, func(p *peerConn) { p.replay(d) })
	c := dialPeer(t, tp, Config{})
	ctx := testCtx(t)

	check := func(j *Job, err error, want string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		body, err := j.Wait(ctx)
		if err != nil || !strings.Contains(body, want) {
			t.Fatalf("job %s (%s): %q %v", j.UUID, j.Command, body, err)
		}
		if b, err, ok := j.Result(); !ok || err != nil || b != body {
			t.Fatal("Result disagrees with Wait")
		}
		if j.Event() == nil || j.Event().JobUUID() != j.UUID || j.Launched.IsZero() {
			t.Fatalf("job event/uuid/launch: %+v", j)
		}
	}
	j, err := c.BgAPI(ctx, "status")
	check(j, err, "is ready")
	if j.UUID != "34a284dd-d414-4ce3-8113-b81871d59905" {
		t.Fatalf("uuid %q", j.UUID)
	}
	j, err = c.BgAPIWithJobUUID(ctx, "version", "11111111-2222-3333-4444-555555555555")
	check(j, err, "FreeSWITCH Version")
	if j.UUID != "11111111-2222-3333-4444-555555555555" {
		t.Fatalf("uuid %q", j.UUID)
	}
	j, err = c.BgAPI(ctx, "global_getvar hostname")
	check(j, err, "vm")
	if err := c.Subscribe(ctx, wire.FormatJSON, "BACKGROUND_JOB"); err != nil {
		t.Fatal(err)
	}
	j, err = c.BgAPI(ctx, "status")
	check(j, err, "is ready")
	if err := c.Subscribe(ctx, wire.FormatXML, "BACKGROUND_JOB"); err != nil {
		t.Fatal(err)
	}
	j, err = c.BgAPI(ctx, "version")
	check(j, err, "FreeSWITCH Version")
	if err := c.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	// The three jobs before Subscribe were not asked for on Events(); the
	// two after it were.
	n := 0
	for range c.Events() {
		n++
	}
	if n != 2 {
		t.Fatalf("%d BACKGROUND_JOB events delivered, want 2", n)
	}
}

// TestBgAPIKeepsFormat: the lazy BACKGROUND_JOB subscription uses the
// connection's current format, so other events do not change format.
func TestBgAPIKeepsFormat(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("event json CHANNEL_CREATE")
		p.reply("+OK event listener enabled json")
		p.expect("event json BACKGROUND_JOB")
		p.reply("+OK event listener enabled json")
		m := p.expect("bgapi status")
		id := m.Get("Job-UUID")
		if id != "" {
			t.Errorf("unexpected Job-UUID %q", id)
		}
		p.reply("+OK Job-UUID: j1", wire.Header{Name: "Job-UUID", Value: "j1"})
		ev := wire.NewEvent("BACKGROUND_JOB")
		ev.Add("Job-UUID", "j1")
		ev.Add("Job-Command", "status")
		ev.Body = "UP\n"
		p.event(wire.FormatJSON, ev)
		p.expect("bgapi version") // no second subscription
		p.reply("+OK Job-UUID: j2", wire.Header{Name: "Job-UUID", Value: "j2"})
		p.read()
	})
	c := dialPeer(t, tp, Config{})
	ctx := testCtx(t)
	if err := c.Subscribe(ctx, wire.FormatJSON, "CHANNEL_CREATE"); err != nil {
		t.Fatal(err)
	}
	j, err := c.BgAPI(ctx, "status")
	if err != nil {
		t.Fatal(err)
	}
	if body, err := j.Wait(ctx); body != "UP\n" || err != nil {
		t.Fatalf("%q %v", body, err)
	}
	j2, err := c.BgAPI(ctx, "version")
	if err != nil {
		t.Fatal(err)
	}
	if c.Stats().JobsPending != 1 {
		t.Fatalf("stats: %+v", c.Stats())
	}
	c.Close()
	if _, err := j2.Wait(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("pending job after Close: %v", err)
	}
}

// TestPipelining runs 1000 api calls from 8 goroutines on one connection;
// the peer answers each with a body naming its command.
func TestPipelining(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		for {
			m := p.read()
			if m == nil {
				return
			}
			p.api("reply to " + m.Command)
		}
	})
	c := dialPeer(t, tp, Config{})
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 125 {
				cmd := fmt.Sprintf("echo %d-%d", g, i)
				got, err := c.API(ctx, cmd)
				if err != nil || got != "reply to api "+cmd {
					t.Errorf("%s: %q %v", cmd, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if s := c.Stats(); s.InFlight != 0 || s.Frames < 1000 {
		t.Fatalf("stats %+v", s)
	}
}

// TestCancelKeepsFIFO: a caller that gives up keeps its slot, so the next
// caller gets its own reply, not the late one.
func TestCancelKeepsFIFO(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api slow")
		p.expect("api fast") // only then answer both, in order
		p.api("slow\n")
		p.api("fast\n")
		p.read()
	})
	c := dialPeer(t, tp, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.API(ctx, "slow"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow: %v", err)
	}
	got, err := c.API(testCtx(t), "fast")
	if err != nil || got != "fast\n" {
		t.Fatalf("fast got %q %v", got, err)
	}
}

func plainEvent(name string, seq int) *wire.Event {
	e := wire.NewEvent(name)
	e.Add("Event-Sequence", fmt.Sprint(seq))
	return e
}

// TestEventsFlowDuringAPI: events sent before a reply are delivered while
// the api call is still waiting, in wire order.
func TestEventsFlowDuringAPI(t *testing.T) {
	seen := make(chan struct{})
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api slow")
		for i := range 100 {
			p.event(wire.FormatPlain, plainEvent("HEARTBEAT", i))
		}
		<-seen // the client consumed all events before the reply exists
		p.api("+OK\n")
		p.read()
	})
	c := dialPeer(t, tp, Config{})
	go func() {
		defer close(seen)
		// Read once all 100 are queued, so the queue's high-water mark
		// is theirs (a reader taking each at once leaves it at 0).
		for c.Stats().EventsReceived < 100 {
			time.Sleep(time.Millisecond)
		}
		for i := range 100 {
			ev := <-c.Events()
			if ev == nil || ev.Sequence() != uint64(i) {
				t.Errorf("event %d: %v", i, ev)
				return
			}
		}
	}()
	if got, err := c.API(testCtx(t), "slow"); err != nil || got != "+OK\n" {
		t.Fatalf("%q %v", got, err)
	}
	if s := c.Stats(); s.EventsReceived != 100 || s.EventsHighWater < 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSlowConsumerDisconnect(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api x")
		for i := range 20 {
			p.event(wire.FormatPlain, plainEvent("HEARTBEAT", i))
		}
		p.read()
	})
	c := dialPeer(t, tp, Config{EventQueueSize: 10})
	_, err := c.API(testCtx(t), "x")
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("pending api: %v", err)
	}
	<-c.Done()
	if !errors.Is(c.Err(), ErrSlowConsumer) {
		t.Fatalf("Err = %v", c.Err())
	}
	n := 0
	for ev := range c.Events() {
		if ev.Sequence() != uint64(n) {
			t.Fatalf("order: %d vs %d", ev.Sequence(), n)
		}
		n++
	}
	if n != 10 || c.Stats().EventsHighWater != 10 {
		t.Fatalf("got %d events, stats %+v", n, c.Stats())
	}
}

func TestOverflowBlockBackpressure(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api x")
		for i := range 10 {
			p.event(wire.FormatPlain, plainEvent("HEARTBEAT", i))
		}
		p.api("done\n")
		p.read()
	})
	c := dialPeer(t, tp, Config{EventQueueSize: 2, Overflow: OverflowBlock})
	res := make(chan error, 1)
	go func() {
		_, err := c.API(testCtx(t), "x")
		res <- err
	}()
	select {
	case err := <-res:
		t.Fatalf("reply overtook blocked events: %v", err)
	case <-time.After(150 * time.Millisecond):
	}
	if s := c.Stats(); s.EventsQueued != 2 {
		t.Fatalf("stats %+v", s)
	}
	for i := range 10 {
		if ev := <-c.Events(); ev.Sequence() != uint64(i) {
			t.Fatalf("event %d: %d", i, ev.Sequence())
		}
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
}

// TestShutdownNoticeCapture replays 17_fsctl_shutdown_fs2.
func TestShutdownNoticeCapture(t *testing.T) {
	d := loadDialog(t, "17_fsctl_shutdown_fs2")
	tp := newTestPeer(t, func(p *peerConn) { p.replay(d); p.read() })
	c := dialPeer(t, tp, Config{})
	ctx := testCtx(t)
	if err := c.Subscribe(ctx, wire.FormatPlain, "SHUTDOWN"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.API(ctx, "fsctl shutdown"); err != nil {
		t.Fatal(err)
	}
	ev := <-c.Events()
	if ev == nil || ev.Name() != "SHUTDOWN" {
		t.Fatalf("event %v", ev)
	}
	<-c.Done()
	var de *DisconnectError
	if !errors.As(c.Err(), &de) || de.Notice != "The system is being shut down.\n" {
		t.Fatalf("Err = %v", c.Err())
	}
	if _, err := c.API(ctx, "status"); !errors.Is(err, ErrClosed) || !errors.As(err, &de) {
		t.Fatalf("api after notice: %v", err)
	}
}

func TestCloseIdempotentAndFailsPending(t *testing.T) {
	received := make(chan struct{})
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api never")
		close(received)
		p.read()
	})
	c := dialPeer(t, tp, Config{})
	res := make(chan error, 1)
	go func() {
		_, err := c.API(testCtx(t), "never")
		res <- err
	}()
	// Close only once the server holds the request, so it is truly pending.
	select {
	case <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("request never reached the server")
	}
	if c.Stats().InFlight != 1 {
		t.Fatalf("InFlight = %d, want 1", c.Stats().InFlight)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-res; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending: %v", err)
	}
	if c.Err() != ErrClosed {
		t.Fatalf("Err = %v", c.Err())
	}
	if _, err := c.API(testCtx(t), "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestMalformedFrame(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api x")
		p.write([]byte("Content-Type: api/response\nContent-Length: -5\n\n"))
		p.read()
	})
	c := dialPeer(t, tp, Config{})
	_, err := c.API(testCtx(t), "x")
	var pe *wire.ProtocolError
	if !errors.As(err, &pe) || !errors.As(c.Err(), &pe) {
		t.Fatalf("err %v / %v", err, c.Err())
	}
}

// TestUndecodableEventSkipped: an event frame whose body cannot be decoded
// (the frame itself is intact) is counted, logged once and skipped; the
// events and replies after it flow as before.
func TestUndecodableEventSkipped(t *testing.T) {
	cases := []struct {
		ct, body string
	}{
		{wire.TypeEventPlain, "no colon on the first line\n\n"},
		{wire.TypeEventPlain, "Event-Name: X\nContent-Length: 10\n\nshort"},
		{wire.TypeEventJSON, "{{{{{"},
		{wire.TypeEventXML, "<a>"},
	}
	for _, tc := range cases {
		t.Run(tc.ct, func(t *testing.T) {
			bad := wire.AppendMessage(nil, []wire.Header{{Name: "Content-Type", Value: tc.ct}}, []byte(tc.body))
			tp := newTestPeer(t, func(p *peerConn) {
				p.authOK()
				p.expect("api x")
				p.write(bad)
				p.event(wire.FormatPlain, plainEvent("HEARTBEAT", 1))
				p.write(bad)
				p.event(wire.FormatJSON, plainEvent("HEARTBEAT", 2))
				p.api("ok\n")
				p.read()
			})
			var logs bytes.Buffer
			lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			c := dialPeer(t, tp, Config{Logger: lg})
			if got, err := c.API(testCtx(t), "x"); got != "ok\n" || err != nil {
				t.Fatalf("api after bad events: %q %v", got, err)
			}
			for seq := uint64(1); seq <= 2; seq++ {
				if ev := <-c.Events(); ev.Sequence() != seq {
					t.Fatalf("event %d: %v", seq, ev)
				}
			}
			if s := c.Stats(); s.EventsUndecodable != 2 || s.EventsReceived != 4 || c.Err() != nil {
				t.Fatalf("stats %+v, Err %v", s, c.Err())
			}
			if n := strings.Count(logs.String(), "undecodable event"); n != 1 {
				t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
			}
		})
	}
}

func TestUnknownFrameIgnored(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("api x")
		p.write([]byte("Content-Type: text/something-new\nContent-Length: 3\n\nabc"))
		p.api("ok\n")
		p.read()
	})
	c := dialPeer(t, tp, Config{})
	if got, err := c.API(testCtx(t), "x"); got != "ok\n" || err != nil {
		t.Fatalf("%q %v", got, err)
	}
}

func TestSubscribeCommandText(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		p.expect("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_PARK CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB CUSTOM esltest::foo")
		p.reply("+OK event listener enabled plain")
		p.expect("event xml HEARTBEAT CUSTOM sofia::register sofia::unregister")
		p.reply("+OK event listener enabled xml")
		p.expect("nixevent CHANNEL_CREATE")
		p.reply("+OK events nixed")
		p.expect("noevents")
		p.reply("+OK no longer listening for events")
		p.read()
	})
	c := dialPeer(t, tp, Config{})
	ctx := testCtx(t)
	if err := c.Subscribe(ctx, wire.FormatPlain, "CHANNEL_CREATE CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB", "CUSTOM esltest::foo"); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(ctx, wire.FormatXML, "CUSTOM sofia::register", "HEARTBEAT", "sofia::unregister"); err != nil {
		t.Fatal(err)
	}
	if err := c.Unsubscribe(ctx, "CHANNEL_CREATE"); err != nil {
		t.Fatal(err)
	}
	if err := c.NoEvents(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(ctx, wire.FormatPlain); err == nil {
		t.Fatal("empty Subscribe accepted")
	}
}

// TestLogFilterSendEventCapture replays 13_log_filter_sendevent.
func TestLogFilterSendEventCapture(t *testing.T) {
	d := loadDialog(t, "13_log_filter_sendevent")
	tp := newTestPeer(t, func(p *peerConn) { p.replay(d) })
	c := dialPeer(t, tp, Config{})
	ctx := testCtx(t)
	const id = "9d5cbd23-8da5-465a-a82e-16c9ab88d1b0"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Log(ctx, "7"))
	_, err := c.API(ctx, "sofia profile external siptrace on")
	must(err)
	must(c.Subscribe(ctx, wire.FormatPlain, "CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB", "CUSTOM", "esltest::foo"))
	must(c.Filter(ctx, "Unique-ID", id))
	must(c.Filter(ctx, "Event-Name", "BACKGROUND_JOB"))
	must(c.Filter(ctx, "Event-Name", "CUSTOM"))
	j, err := c.BgAPI(ctx, "originate {origination_uuid="+id+"}sofia/external/1000@127.0.0.1:5080 &park()")
	must(err)
	if body, err := j.Wait(ctx); err != nil || body != "+OK "+id+"\n" {
		t.Fatalf("originate job %q %v", body, err)
	}
	must(c.NoLog(ctx))
	_, err = c.API(ctx, "sofia profile external siptrace off")
	must(err)
	evUUID, err := c.SendEvent(ctx, "CUSTOM", []wire.Header{
		{Name: "Event-Subclass", Value: "esltest::foo"},
		{Name: "X-Test-Header", Value: "hello world"},
		{Name: "Content-Type", Value: "text/plain"},
	}, []byte("hello\nworld\n"))
	must(err)
	if len(evUUID) != 36 {
		t.Fatalf("event uuid %q", evUUID)
	}
	must(c.FilterDelete(ctx, "Unique-ID", id))
	must(c.Unsubscribe(ctx, "CHANNEL_CREATE"))
	_, err = c.API(ctx, "uuid_kill "+id)
	must(err)
	must(c.Exit(ctx))

	var names []string
	custom := false
	for ev := range c.Events() {
		names = append(names, ev.Name())
		if ev.Name() == "CUSTOM" && ev.Subclass() == "esltest::foo" {
			custom = ev.Get("X-Test-Header") == "hello world" && ev.Body == "hello\nworld\n"
		}
	}
	if !custom || len(names) == 0 || !strings.Contains(strings.Join(names, " "), "BACKGROUND_JOB") {
		t.Fatalf("events %v custom=%v", names, custom)
	}
	logs := 0
	for l := range c.Logs() {
		if l.Text == "" || l.File == "" {
			t.Fatalf("log line %+v", l)
		}
		logs++
	}
	if logs == 0 || c.Stats().LogsReceived == 0 {
		t.Fatal("no log lines")
	}
}

// TestSendMsgHeaders checks the header layout against the tx captures.
func TestSendMsgHeaders(t *testing.T) {
	cases := []struct {
		m    SendMsg
		want string
	}{
		{SendMsg{Command: "execute", App: "answer"}, "call-command: execute\nexecute-app-name: answer\n\n"},
		{SendMsg{App: "playback", Arg: "tone_stream://%(250,50,440)", EventUUID: "99999999-0000-0000-0000-000000000001"},
			"call-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(250,50,440)\nevent-uuid: 99999999-0000-0000-0000-000000000001\n\n"},
		{SendMsg{Command: "hangup", HangupCause: "NORMAL_CLEARING"}, "call-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"},
		{SendMsg{App: "playback", Arg: "x", Loops: 3, EventLock: true, Async: true}, "call-command: execute\nexecute-app-name: playback\nexecute-app-arg: x\nloops: 3\nevent-lock: true\nasync: true\n\n"},
		{SendMsg{App: "set", Arg: "a=1\nb"}, "call-command: execute\nexecute-app-name: set\ncontent-type: text/plain\ncontent-length: 5\n\na=1\nb"},
	}
	for _, tc := range cases {
		h, body := tc.m.headers()
		if got := string(wire.AppendMessage(nil, h, body)); got != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.m, got, tc.want)
		}
	}
}

func TestInjectionRefused(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) { p.authOK(); p.read() })
	c := dialPeer(t, tp, Config{})
	ctx := testCtx(t)
	if _, err := c.API(ctx, "status\n\napi evil"); err == nil {
		t.Fatal("line break in command accepted")
	}
	if _, err := c.SendCommand(ctx, "x", []wire.Header{{Name: "a", Value: "b\nc"}}, nil); err == nil {
		t.Fatal("line break in header accepted")
	}
	if c.Stats().InFlight != 0 {
		t.Fatal("refused command left a slot")
	}
}

// TestAllInboundCaptures replays every inbound capture: the client sends
// the recorded commands (raw, in order) and must read every frame the
// server sent, decoding every event, with nothing lost or misrouted.
func TestAllInboundCaptures(t *testing.T) {
	for _, name := range []string{
		"01_auth_ok", "03_api_status", "04_errors", "05_bgapi", "06_call_sofia_plain_all",
		"07_call_sofia_json_all", "08_call_loopback_plain", "09_call_xml_subset", "10_hupall",
		"11_bert", "12_api_originate_sync", "13_log_filter_sendevent", "15_heartbeat_plain",
		"16_cluster_fs1_8021", "16_cluster_fs2_8022", "17_fsctl_shutdown_fs2",
	} {
		t.Run(name, func(t *testing.T) {
			d := loadDialog(t, name)
			var cmds []*wire.Message
			for _, c := range d {
				r := wire.NewReader(bytes.NewReader(c.data))
				for c.toServer {
					m, err := r.ReadCommand()
					if err != nil {
						break
					}
					cmds = append(cmds, m)
				}
			}
			// S->C chunks may split frames: count on the whole stream.
			wantEvents, wantReplies := 0, 0
			r := wire.NewReader(bytes.NewReader(readRX(t, name)))
			for {
				m, err := r.ReadMessage()
				if err != nil {
					break
				}
				if m.IsEvent() {
					wantEvents++
				} else if ct := m.ContentType(); ct == wire.TypeCommandReply || ct == wire.TypeAPIResponse {
					wantReplies++
				}
			}
			tp := newTestPeer(t, func(p *peerConn) { p.replay(d); p.read() })
			c := dialPeer(t, tp, Config{})
			ctx := testCtx(t)
			replies := 1 // auth
			for _, m := range cmds[1:] {
				if m.Command == "exit" {
					if err := c.Exit(ctx); err != nil {
						t.Fatalf("exit: %v", err)
					}
					replies++
					break
				}
				_, err := c.SendCommand(ctx, m.Command, m.Headers, m.Body)
				var ce *CommandError
				if err != nil && !errors.As(err, &ce) {
					t.Fatalf("%s: %v", m.Command, err)
				}
				replies++
			}
			<-c.Done() // exit, shutdown notice or end of the recording
			if errors.Is(c.Err(), ErrSlowConsumer) {
				t.Fatal(c.Err())
			}
			var pe *wire.ProtocolError
			if errors.As(c.Err(), &pe) {
				t.Fatal(c.Err())
			}
			got := 0
			for range c.Events() {
				got++
			}
			if got != wantEvents || replies != wantReplies || c.Stats().EventsReceived != uint64(wantEvents) {
				t.Fatalf("events %d/%d, replies %d/%d", got, wantEvents, replies, wantReplies)
			}
		})
	}
}

// BenchmarkEvents measures decoding and delivery of real plain events.
func BenchmarkEvents(b *testing.B) {
	rx := readRX(b, "06_call_sofia_plain_all")
	var frames [][]byte
	r := wire.NewReader(bytes.NewReader(rx))
	for {
		m, err := r.ReadMessage()
		if err != nil {
			break
		}
		if m.ContentType() == wire.TypeEventPlain {
			ev, _ := wire.ParseEvent(m.ContentType(), m.Body)
			frames = append(frames, wire.AppendEventFrame(nil, wire.FormatPlain, ev))
		}
	}
	tp := newTestPeer(b, func(p *peerConn) {
		p.authOK()
		p.expect("api go")
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf = append(buf, frames[i%len(frames)]...)
			if len(buf) > 64<<10 {
				p.write(buf)
				buf = buf[:0]
			}
		}
		p.write(buf)
		p.api("done\n")
		p.read()
	})
	c := dialPeer(b, tp, Config{EventQueueSize: 1024, Overflow: OverflowBlock})
	b.SetBytes(int64(len(rx) / max(len(frames), 1)))
	b.ResetTimer()
	go c.API(context.Background(), "go")
	for range b.N {
		<-c.Events()
	}
}

// BenchmarkPipelinedAPI measures request/reply round trips from parallel
// goroutines on one connection.
func BenchmarkPipelinedAPI(b *testing.B) {
	tp := newTestPeer(b, func(p *peerConn) {
		p.authOK()
		for p.read() != nil {
			p.api("+OK\n")
		}
	})
	c := dialPeer(b, tp, Config{})
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.API(ctx, "x"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAPI measures one request/reply round trip at a time, so that
// allocs/op is exactly what one command costs.
func BenchmarkAPI(b *testing.B) {
	tp := newTestPeer(b, func(p *peerConn) {
		p.authOK()
		for p.read() != nil {
			p.api("+OK\n")
		}
	})
	c := dialPeer(b, tp, Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.API(ctx, "x"); err != nil {
			b.Fatal(err)
		}
	}
}
