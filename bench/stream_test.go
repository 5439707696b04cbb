package bench

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/switchio/switchio/esl/wire"
)

// The event stream every parser is fed: the text/event-plain frames of a real
// FreeSWITCH 1.10.12 call (CHANNEL_*, CODEC, DTMF, PLAYBACK_*, RECORD_*, API,
// BACKGROUND_JOB..., a few KB each), byte for byte as captured, repeated as
// needed.
var (
	streamOnce   sync.Once
	streamData   []byte // the frames, concatenated
	streamEnds   []int  // offset just past each frame
	streamErr    error
	streamEvents int
)

func loadStream(tb testing.TB) ([]byte, []int) {
	tb.Helper()
	streamOnce.Do(func() {
		frames, err := capturedEvents("06_call_sofia_plain_all.rx.txt")
		if err != nil {
			streamErr = err
			return
		}
		for _, m := range frames {
			streamData = wire.AppendMessage(streamData, m.Headers, m.Body)
			streamEnds = append(streamEnds, len(streamData))
		}
		streamEvents = len(streamEnds)
		if streamEvents == 0 {
			streamErr = errors.New("no text/event-plain frames in the capture")
		}
	})
	if streamErr != nil {
		tb.Fatal(streamErr)
	}
	return streamData, streamEnds
}

// writeEvents writes exactly n event frames to w, cycling through the
// stream, in large writes.
func writeEvents(w io.Writer, n int, data []byte, ends []int) error {
	for n >= len(ends) {
		if _, err := w.Write(data); err != nil {
			return err
		}
		n -= len(ends)
	}
	if n > 0 {
		_, err := w.Write(data[:ends[n-1]])
		return err
	}
	return nil
}

// fakeServer is a minimal FreeSWITCH event socket on loopback TCP: it asks
// for auth, accepts any password, answers "event ..." and then streams the
// events (when events > 0), answers "api X" with an api/response, and "exit".
type fakeServer struct {
	ln     net.Listener
	events int // events to stream after the "event" command
	wg     sync.WaitGroup
}

func startServer(tb testing.TB, events int) *fakeServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &fakeServer{ln: ln, events: events}
	s.wg.Add(1)
	go s.serve()
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) close() {
	s.ln.Close()
	s.wg.Wait()
}

func (s *fakeServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.handle(c)
		}()
	}
}

func (s *fakeServer) handle(c net.Conn) {
	data, ends := streamData, streamEnds
	w := bufio.NewWriterSize(c, 64<<10)
	var wmu sync.Mutex // the event streamer and the command loop share w
	send := func(b []byte, flush bool) error {
		wmu.Lock()
		defer wmu.Unlock()
		if _, err := w.Write(b); err != nil {
			return err
		}
		if flush {
			return w.Flush()
		}
		return nil
	}
	if send([]byte("Content-Type: auth/request\n\n"), true) != nil {
		return
	}
	rd := wire.NewReader(c)
	var out []byte
	for {
		m, err := rd.ReadCommand()
		if err != nil {
			return
		}
		cmd := m.Command
		out = out[:0]
		switch {
		case strings.HasPrefix(cmd, "auth "):
			out = wire.AppendReply(out, "+OK accepted")
		case strings.HasPrefix(cmd, "event "):
			out = wire.AppendReply(out, "+OK event listener enabled plain")
			if s.events > 0 {
				wmu.Lock()
				_, err := w.Write(out)
				if err == nil {
					err = writeEvents(w, s.events, data, ends)
				}
				if err == nil {
					err = w.Flush()
				}
				wmu.Unlock()
				if err != nil {
					return
				}
				continue
			}
		case strings.HasPrefix(cmd, "api "):
			out = wire.AppendAPIResponse(out, append(append([]byte("+OK "), cmd[len("api "):]...), '\n'))
		case cmd == "exit":
			out = wire.AppendReply(out, "+OK bye")
			send(out, true)
			return
		default:
			out = wire.AppendReply(out, "-ERR command not found")
		}
		// Flush only when the client has nothing more in flight, so
		// pipelined commands are answered in batches, as FreeSWITCH's
		// socket writes would coalesce.
		if send(out, rd.Buffered() == 0) != nil {
			return
		}
	}
}

// TestStream checks the stream and the fake server the benchmarks rely on.
func TestStream(t *testing.T) {
	data, ends := loadStream(t)
	if len(ends) < 50 || len(data)/len(ends) < 2000 {
		t.Fatalf("%d events, %d bytes: not the realistic stream expected", len(ends), len(data))
	}
	var buf bytes.Buffer
	if err := writeEvents(&buf, 2*len(ends)+3, data, ends); err != nil {
		t.Fatal(err)
	}
	rd := wire.NewReader(&buf)
	n := 0
	for {
		m, err := rd.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ev, err := wire.ParseEvent(m.ContentType(), m.Body)
		if err != nil || ev.Name() == "" {
			t.Fatalf("event %d: %v %v", n, ev, err)
		}
		n++
	}
	if n != 2*len(ends)+3 {
		t.Fatalf("%d events", n)
	}
}
