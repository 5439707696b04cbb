package wire

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

const fuzzMaxFrame = 64 << 10

// readerSeeds returns short runs of consecutive frames cut from every
// capture, plus hand-written hostile streams.
func readerSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(""),
		[]byte("\n\r\n"),
		[]byte("Content-Type: auth/request\n\n"),
		[]byte("Content-Type: api/response\r\nContent-Length: 4\r\n\r\n+OK\n"),
		[]byte("Content-Length: -1\n\n"),
		[]byte("Content-Length: 99999999999\n\n"),
		[]byte("Content-Length: 65537\n\n"),
		[]byte("content-length: 3 \n\nabcContent-Type: x\n\n"),
		[]byte("A: 1\nA: 2\nB:\nC: x:y\n\n"),
		[]byte("no colon\n\n"),
		[]byte("X-Bin: \xff\xfe\nContent-Length: 2\n\n\x00\xff"),
		[]byte("Content-Length: 5\nContent-Length: 0\n\n"),
	}
	for _, f := range captureFiles(t, ".rx.txt") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ends []int
		rd := NewReader(bytes.NewReader(data))
		off := 0
		for {
			m, err := rd.ReadMessage()
			if err != nil {
				break
			}
			off += len(AppendMessage(nil, m.Headers, m.Body))
			ends = append(ends, off)
		}
		start := 0
		for i := 0; i < len(ends); i++ {
			if i < 6 || i%10 == 0 {
				end := ends[min(i+2, len(ends)-1)]
				if end-start <= 32<<10 {
					seeds = append(seeds, data[start:end])
				}
			}
			start = ends[i]
		}
	}
	// Client commands, for the ReadCommand half.
	for _, name := range []string{"05_bgapi.tx.txt", "13_log_filter_sendevent.tx.txt", "14_outbound_socket.tx.txt"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", name))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}

// FuzzReader feeds arbitrary bytes to a Reader with a 64 KiB limit. Every
// frame it returns must respect the limit, read the same through ReadFrame
// and in small reads, and read back the same after AppendMessage. The same
// bytes read as commands (ReadCommand) must read back the same after
// AppendCommand.
func FuzzReader(f *testing.F) {
	for _, s := range readerSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data))
		rd.SetMaxFrameSize(fuzzMaxFrame)
		raw := NewReader(iotest.HalfReader(bytes.NewReader(data)))
		raw.SetMaxFrameSize(fuzzMaxFrame)
		var frames []frame
		var enc []byte
		for {
			m, err := rd.ReadMessage()
			m2, err2 := raw.ReadFrame()
			if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("ReadMessage: %v; ReadFrame over half reads: %v", err, err2)
			}
			if err != nil {
				var pe *ProtocolError
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.As(err, &pe) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				break
			}
			if !equalFrame(copyFrame(m), m2) {
				t.Fatalf("ReadMessage and ReadFrame differ:\n%s\n%s", copyFrame(m), copyFrame(m2))
			}
			if len(m.Body) > fuzzMaxFrame {
				t.Fatalf("body of %d bytes passed a %d limit", len(m.Body), fuzzMaxFrame)
			}
			frames = append(frames, copyFrame(m))
			enc = AppendMessage(enc, m.Headers, m.Body)
		}
		// The frames written back with AppendMessage read the same.
		rereadFrames(t, enc, frames, (*Reader).ReadMessage)

		// The same bytes read as client commands, as a server does.
		cmds := NewReader(bytes.NewReader(data))
		cmds.SetMaxFrameSize(fuzzMaxFrame)
		frames, enc = frames[:0], enc[:0]
		for {
			m, err := cmds.ReadCommand()
			if err != nil {
				var pe *ProtocolError
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.As(err, &pe) {
					t.Fatalf("ReadCommand: unexpected error type %T: %v", err, err)
				}
				break
			}
			if m.Command == "" || len(m.Body) > fuzzMaxFrame {
				t.Fatalf("ReadCommand: command %q, body of %d bytes", m.Command, len(m.Body))
			}
			frames = append(frames, copyFrame(m))
			enc = AppendCommand(enc, m.Command, m.Headers, m.Body)
		}
		rereadFrames(t, enc, frames, (*Reader).ReadCommand)
	})
}

// rereadFrames reads enc with read and expects exactly frames.
func rereadFrames(t *testing.T, enc []byte, frames []frame, read func(*Reader) (*Message, error)) {
	t.Helper()
	again := NewReader(bytes.NewReader(enc))
	again.SetMaxFrameSize(fuzzMaxFrame)
	for i := 0; ; i++ {
		m, err := read(again)
		if err == io.EOF && i == len(frames) {
			return
		}
		if err != nil || i >= len(frames) {
			t.Fatalf("re-reading frame %d of %d: %v", i, len(frames), err)
		}
		if !equalFrame(frames[i], m) {
			t.Fatalf("re-encoded frame %d differs:\n got %s\nwant %s", i, copyFrame(m), frames[i])
		}
	}
}

// eventSeed is one event body and the format it is in.
type eventSeed struct {
	format Format
	body   []byte
}

func eventSeeds(t testing.TB) []eventSeed {
	seeds := []eventSeed{
		{FormatPlain, []byte("Event-Name: CUSTOM\nA: %2B%zz+%41\nContent-Length: 3\nContent-Length: 2\n\nok")},
		{FormatPlain, []byte("Content-Length: %33\n\nabc")},
		{FormatPlain, []byte("A: 1\ncontinued\r\n: also\nContent-Length: 2\n\nok")},
		{FormatPlain, []byte("A: v=0\nb=AS:84\na=rtcp:4017 IN IP4 192.0.2.1\nB:\nC:c\n\n")},
		{FormatJSON, []byte(`{"a":["b","c"],"e":"\u00e9\ud83d\ude00\ud83d","n":null,"Content-Length":"2","_body":"ok"}`)},
		{FormatXML, []byte("<event><headers><A>x%20y&amp;</A></headers><Content-Length>2</Content-Length><body>ok</body></event>")},
	}
	for _, f := range captureFiles(t, ".rx.txt") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rd := NewReader(bytes.NewReader(data))
		n := 0
		for {
			m, err := rd.ReadMessage()
			if err != nil {
				break
			}
			if !m.IsEvent() {
				continue
			}
			if n++; n > 12 {
				break
			}
			format, _ := ParseFormat(strings.TrimPrefix(m.ContentType(), "text/event-"))
			seeds = append(seeds, eventSeed{format, m.Body})
		}
	}
	return seeds
}

// FuzzParseEvent parses arbitrary bodies as plain, json or xml events: errors
// must be *EventError, and a parsed event must survive being written back in
// every format and parsed again.
func FuzzParseEvent(f *testing.F) {
	for _, s := range eventSeeds(f) {
		f.Add(uint8(s.format), s.body)
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		format := Format(kind % 3)
		e, err := ParseEvent(format.ContentType(), body)
		if err != nil {
			var ee *EventError
			if !errors.As(err, &ee) {
				t.Fatalf("error %T %v, want *EventError", err, err)
			}
			return
		}
		checkEventRoundTrips(t, e)
	})
}

// checkEventRoundTrips writes e in each format and parses it back.
//
// JSON values are not URL-encoded, so JSON gives back e exactly. Plain and
// XML values are encoded with switch_url_encode, which leaves a '%' followed
// by two uppercase hex digits as it is: such a value decodes to something
// shorter on the way back (as it does in FreeSWITCH). Header names and the
// body must then still match, and repeating the round trip must settle.
func checkEventRoundTrips(t *testing.T, e *Event) {
	t.Helper()
	jsonOK := true
	xmlOK := true
	for _, h := range e.Headers {
		if h.Name == "_body" {
			jsonOK = false // the key of the body in json
		}
		if h.Name == "" || strings.ContainsAny(h.Name, "</>") {
			xmlOK = false // not an element name
		}
	}
	if jsonOK {
		j, err := ParseEventJSON(e.AppendJSON(nil))
		if err != nil {
			t.Fatalf("json of %v: %v", e, err)
		}
		if !sameEvent(j, e) {
			t.Fatalf("json round trip:\n got %v\nwant %v\njson %s", j, e, e.AppendJSON(nil))
		}
	}
	plainOK := true
	lastLen := -1
	for _, h := range e.Headers {
		if !validPlainName(h.Name) {
			plainOK = false // cannot be a plain header name
		}
		if strings.EqualFold(h.Name, "Content-Length") {
			lastLen, _ = parseLength(h.Value)
		}
	}
	if e.Body == "" && lastLen > 0 {
		// A json or xml event may carry a Content-Length header with no
		// body; in plain that header would frame a body.
		plainOK = false
	}
	if plainOK {
		settles(t, "plain", e, func(e *Event) (*Event, error) { return ParseEventPlain(e.AppendPlain(nil)) })
	}
	if xmlOK {
		settles(t, "xml", e, func(e *Event) (*Event, error) { return ParseEventXML(e.AppendXML(nil)) })
	}
}

func settles(t *testing.T, format string, e *Event, trip func(*Event) (*Event, error)) {
	t.Helper()
	cur := e
	for i := 0; ; i++ {
		next, err := trip(cur)
		if err != nil {
			t.Fatalf("%s round trip %d of %v: %v", format, i, cur, err)
		}
		if next.Body != e.Body || len(next.Headers) != len(e.Headers) {
			t.Fatalf("%s round trip %d changed the event:\n got %v\nwant %v", format, i, next, e)
		}
		for k, h := range next.Headers {
			if h.Name != e.Headers[k].Name {
				t.Fatalf("%s round trip %d changed header name %q to %q", format, i, e.Headers[k].Name, h.Name)
			}
			if h.Value != cur.Headers[k].Value && !hasEncodedByte(cur.Headers[k].Value) {
				t.Fatalf("%s round trip %d changed %s: %q to %q", format, i, h.Name, cur.Headers[k].Value, h.Value)
			}
		}
		if sameEvent(next, cur) {
			return
		}
		if i > 64 {
			t.Fatalf("%s round trips do not settle: %v", format, next)
		}
		cur = next
	}
}

// hasEncodedByte reports whether s holds '%' and two uppercase hex digits,
// which switch_url_encode passes through unencoded.
func hasEncodedByte(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) {
			return true
		}
	}
	return false
}

func sameEvent(a, b *Event) bool {
	if a.Body != b.Body || len(a.Headers) != len(b.Headers) {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i] != b.Headers[i] {
			return false
		}
	}
	return true
}

// TestCaptureEventsRoundTrip applies the fuzz property to every event of
// every capture.
func TestCaptureEventsRoundTrip(t *testing.T) {
	for _, f := range captureFiles(t, ".rx.txt") {
		for _, e := range captureEvents(t, filepath.Base(f)) {
			checkEventRoundTrips(t, e)
		}
	}
}

var writeSeeds = flag.Bool("write-fuzz-seeds", false, "rewrite the seed files under testdata/fuzz")

// TestWriteFuzzSeeds writes a handful of the seeds above as committed corpus
// files (go test fuzz v1 format) when run with -write-fuzz-seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -write-fuzz-seeds to rewrite testdata/fuzz")
	}
	write := func(target, name string, lines ...string) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		text := "go test fuzz v1\n" + strings.Join(lines, "\n") + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs := readerSeeds(t)
	for i, s := range rs {
		if i < 12 || (i%25 == 0 && len(s) <= 8<<10) || i >= len(rs)-3 {
			write("FuzzReader", fmt.Sprintf("seed-%03d", i), fmt.Sprintf("[]byte(%q)", s))
		}
	}
	for i, s := range eventSeeds(t) {
		if i < 4 || (i%20 == 0 && len(s.body) <= 8<<10) {
			write("FuzzParseEvent", fmt.Sprintf("seed-%03d", i), fmt.Sprintf("uint8(%d)", s.format), fmt.Sprintf("[]byte(%q)", s.body))
		}
	}
}
