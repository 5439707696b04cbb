package bench

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/percipia/eslgo"
	"github.com/percipia/eslgo/command"
	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
)

// sink keeps the handlers' work observable.
var sink atomic.Int64

// handle is the work every handler does with an event: look at its name and
// the channel it is about.
func handle(name, uniqueID string) {
	if name == "" {
		panic("event without a name")
	}
	sink.Add(int64(len(name) + len(uniqueID)))
}

// BenchmarkParse measures events/s from a loopback TCP socket to a handler,
// for the same byte stream of real channel events, through three parsers. One
// op is one event, so allocs/op is allocations per event.
func BenchmarkParse(b *testing.B) {
	loadStream(b)
	b.Run("switchio", func(b *testing.B) { benchEvents(b, readSwitchio) })
	b.Run("switchio-conn", benchConn)
	b.Run("eslgo", benchEslgo)
	b.Run("textproto", func(b *testing.B) { benchEvents(b, readTextproto) })
}

// dialHandshake connects, authenticates and subscribes as any client does,
// using only the standard library, and returns the connection positioned at
// the first event.
func dialHandshake(b *testing.B, addr string) (net.Conn, *bufio.Reader) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReaderSize(c, 64<<10)
	tp := textproto.NewReader(br)
	expect := func(want string) {
		h, err := tp.ReadMIMEHeader()
		if err != nil {
			b.Fatal(err)
		}
		if got := h.Get("Content-Type") + " " + h.Get("Reply-Text"); got[:len(want)] != want {
			b.Fatalf("handshake: got %q, want %q", got, want)
		}
	}
	expect("auth/request")
	io.WriteString(c, "auth ClueCon\n\n")
	expect("command/reply +OK")
	return c, br
}

// benchEvents runs one client reading b.N events with read after the
// handshake; the timer covers the "event plain ALL" command and the events.
func benchEvents(b *testing.B, read func(r io.Reader, n int) error) {
	srv := startServer(b, b.N)
	defer srv.close()
	c, br := dialHandshake(b, srv.addr())
	defer c.Close()
	tp := textproto.NewReader(br)

	runtime.GC()
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	start := time.Now()
	io.WriteString(c, "event plain ALL\n\n")
	if h, err := tp.ReadMIMEHeader(); err != nil || h.Get("Reply-Text")[:3] != "+OK" {
		b.Fatal(h, err)
	}
	if err := read(br, b.N); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	report(b, elapsed, &ms0, &ms1)
}

func report(b *testing.B, elapsed time.Duration, ms0, ms1 *runtime.MemStats) {
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "allocs/event")
}

// readSwitchio reads n events with switchio's codec: wire.Reader.ReadFrame
// and wire.ParseEvent, which URL-decodes every value.
func readSwitchio(r io.Reader, n int) error {
	rd := wire.NewReader(r)
	for i := 0; i < n; {
		m, err := rd.ReadFrame()
		if err != nil {
			return err
		}
		if !m.IsEvent() {
			continue
		}
		ev, err := wire.ParseEvent(m.ContentType(), m.Body)
		if err != nil {
			return err
		}
		handle(ev.Name(), ev.UniqueID())
		i++
	}
	return nil
}

// readTextproto reads n events the way go-eventsocket and goesl do:
// net/textproto ReadMIMEHeader for the frame, the body by Content-Length,
// ReadMIMEHeader again on the body, and url.QueryUnescape on every value.
func readTextproto(r io.Reader, n int) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	tp := textproto.NewReader(br)
	for i := 0; i < n; {
		h, err := tp.ReadMIMEHeader()
		if err != nil {
			return err
		}
		var body []byte
		if cl := h.Get("Content-Length"); cl != "" {
			length, err := strconv.Atoi(cl)
			if err != nil {
				return err
			}
			body = make([]byte, length)
			if _, err := io.ReadFull(br, body); err != nil {
				return err
			}
		}
		if h.Get("Content-Type") != "text/event-plain" {
			continue
		}
		eh, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(body))).ReadMIMEHeader()
		if err != nil && err != io.EOF {
			return err
		}
		for _, vs := range eh {
			for j, v := range vs {
				if u, err := url.QueryUnescape(v); err == nil {
					vs[j] = u
				}
			}
		}
		handle(eh.Get("Event-Name"), eh.Get("Unique-Id"))
		i++
	}
	return nil
}

// benchEslgo runs eslgo's own inbound client: Dial (auth), an ALL listener
// counting events, then its "event plain ALL" command. eslgo reads frames
// with net/textproto, parses plain events with ReadMIMEHeader and decodes
// values lazily (url.PathUnescape in GetHeader); it calls each listener in a
// new goroutine.
func benchEslgo(b *testing.B) {
	srv := startServer(b, b.N)
	defer srv.close()
	opts := eslgo.DefaultInboundOptions
	opts.Logger = nil
	conn, err := opts.Dial(srv.addr())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var count atomic.Int64
	done := make(chan struct{})
	n := int64(b.N)
	conn.RegisterEventListener(eslgo.EventListenAll, func(ev *eslgo.Event) {
		handle(ev.GetName(), ev.GetHeader("Unique-ID"))
		if count.Add(1) == n {
			close(done)
		}
	})

	runtime.GC()
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := conn.SendCommand(ctx, command.Event{Format: "plain", Listen: []string{"ALL"}})
	if err != nil || !resp.IsOk() {
		b.Fatal(resp, err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		b.Fatalf("eslgo delivered %d of %d events", count.Load(), n)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	report(b, elapsed, &ms0, &ms1)
}

// benchConn runs switchio's own client: esl.Dial (auth), Subscribe, and a
// consumer ranging over Events(). The reader goroutine copies each frame
// (ReadMessage) and queues the parsed event on a channel.
func benchConn(b *testing.B) {
	srv := startServer(b, b.N)
	defer srv.close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := esl.Dial(ctx, srv.addr(), esl.Config{Password: "ClueCon", Overflow: esl.OverflowBlock})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	runtime.GC()
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	start := time.Now()
	if err := c.Subscribe(ctx, wire.FormatPlain, "ALL"); err != nil {
		b.Fatal(err)
	}
	events := c.Events()
	for i := 0; i < b.N; i++ {
		ev, ok := <-events
		if !ok {
			b.Fatalf("events closed after %d: %v", i, c.Err())
		}
		handle(ev.Name(), ev.UniqueID())
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	report(b, elapsed, &ms0, &ms1)
}
