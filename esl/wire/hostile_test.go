package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// frame is a copy of one message, comparable across reads.
type frame struct {
	Command string
	Headers []Header
	Body    string
}

func (f frame) String() string { return fmt.Sprintf("%q %q %q", f.Command, f.Headers, f.Body) }

func copyFrame(m *Message) frame {
	return frame{Command: m.Command, Headers: append([]Header(nil), m.Headers...), Body: string(m.Body)}
}

func equalFrame(a frame, m *Message) bool {
	if a.Command != m.Command || a.Body != string(m.Body) || len(a.Headers) != len(m.Headers) {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i] != m.Headers[i] {
			return false
		}
	}
	return true
}

// readFrames reads r to its end with ReadMessage and returns the frames and
// the error that stopped the reader (io.EOF at a clean end).
func readFrames(r io.Reader, max int) ([]frame, error) {
	rd := NewReader(r)
	rd.SetMaxFrameSize(max)
	var fs []frame
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			return fs, err
		}
		fs = append(fs, copyFrame(m))
	}
}

// capture is one rx capture with its reference frames and the byte offset at
// which each frame ends.
type capture struct {
	name   string
	data   []byte
	frames []frame
	ends   []int
}

func loadCaptures(t testing.TB) []capture {
	t.Helper()
	var cs []capture
	for _, f := range captureFiles(t, ".rx.txt") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		frames, err := readFrames(bytes.NewReader(data), 0)
		if err != io.EOF {
			t.Fatalf("%s: %v", f, err)
		}
		c := capture{name: filepath.Base(f), data: data, frames: frames}
		off := 0
		for _, fr := range frames {
			off += len(AppendMessage(nil, fr.Headers, []byte(fr.Body)))
			c.ends = append(c.ends, off)
		}
		if off != len(data) {
			t.Fatalf("%s: frames re-encode to %d bytes, capture has %d", c.name, off, len(data))
		}
		cs = append(cs, c)
	}
	return cs
}

// positions returns the cut points to try in a stream of n bytes: all of
// them for small streams; for big ones every byte of the first and last
// 4 KiB and every 97th byte in between.
func positions(n int) []int {
	var ks []int
	for k := 0; k <= n; k++ {
		if n <= 16<<10 || k < 4<<10 || k > n-4<<10 || k%97 == 0 {
			ks = append(ks, k)
		}
	}
	return ks
}

// splitReader returns data in two reads, cut at k (and then EOF). Reads may
// be shorter than asked but never cross k.
type splitReader struct {
	data   []byte
	k, off int
}

func (s *splitReader) Read(p []byte) (int, error) {
	if s.off >= len(s.data) {
		return 0, io.EOF
	}
	end := len(s.data)
	if s.off < s.k {
		end = s.k
	}
	n := copy(p, s.data[s.off:end])
	s.off += n
	return n, nil
}

// window returns the part of the capture to read for a cut at k: from the
// start of the frame holding byte k (or of the one before, when k is at a
// boundary) through the next two frames, with the index of its first frame.
// Reading only that window keeps the every-position tests fast; the reader
// holds no state between frames but its buffer, so it starting at a frame
// boundary is the same as having read the frames before.
func (c *capture) window(k int) (first int, data []byte) {
	first = 0
	for first < len(c.ends) && c.ends[first] < k {
		first++
	}
	if first > 0 {
		first--
	}
	start := 0
	if first > 0 {
		start = c.ends[first-1]
	}
	last := min(first+3, len(c.ends))
	if last == 0 {
		return 0, nil
	}
	return first, c.data[start:c.ends[last-1]]
}

// source lets one Reader be reused over many streams: once a stream has hit
// its end and the Reader holds nothing buffered, pointing source at the next
// stream is the same as a fresh Reader, without a new 64 KiB buffer each time.
type source struct{ r io.Reader }

func (s *source) Read(p []byte) (int, error) { return s.r.Read(p) }

// reuse returns rd reading from r, or a new Reader if rd still buffers data.
func reuse(rd *Reader, src *source, r io.Reader) *Reader {
	src.r = r
	if rd == nil || rd.Buffered() != 0 {
		return NewReader(src)
	}
	return rd
}

func TestSplitAtEveryBoundary(t *testing.T) {
	for _, c := range loadCaptures(t) {
		t.Run(c.name, func(t *testing.T) {
			// Whole streams, cut at a sample of points.
			for k := 0; k <= len(c.data); k += 997 {
				rd := NewReader(&splitReader{data: c.data, k: k})
				for i := 0; ; i++ {
					m, err := rd.ReadFrame()
					if err == io.EOF && i == len(c.frames) {
						break
					}
					if err != nil || i >= len(c.frames) || !equalFrame(c.frames[i], m) {
						t.Fatalf("split at %d: frame %d: %v", k, i, err)
					}
				}
			}
			// Every point near the ends, every 97th in between, reading the
			// frames around the cut.
			var rd *Reader
			src := &source{}
			for _, k := range positions(len(c.data)) {
				first, data := c.window(k)
				start := 0
				if first > 0 {
					start = c.ends[first-1]
				}
				rd = reuse(rd, src, &splitReader{data: data, k: k - start})
				for i := first; ; i++ {
					m, err := rd.ReadFrame()
					if err == io.EOF && (i == len(c.frames) || c.ends[i-1] == start+len(data)) {
						break
					}
					if err != nil {
						t.Fatalf("split at %d: frame %d: %v", k, i, err)
					}
					if i >= len(c.frames) || !equalFrame(c.frames[i], m) {
						t.Fatalf("split at %d: frame %d differs: %s", k, i, copyFrame(m))
					}
				}
			}
		})
	}
}

// events parses every event frame and returns the events serialised as
// plain, for comparison.
func events(t *testing.T, fs []frame) []string {
	t.Helper()
	var out []string
	for _, f := range fs {
		m := &Message{Headers: f.Headers, Body: []byte(f.Body)}
		if !m.IsEvent() {
			continue
		}
		ev, err := ParseEvent(m.ContentType(), m.Body)
		if err != nil {
			t.Fatalf("parse event: %v", err)
		}
		out = append(out, fmt.Sprintf("%q|%q", ev.Headers, ev.Body))
	}
	return out
}

func TestOddReaders(t *testing.T) {
	readers := map[string]func(io.Reader) io.Reader{
		"OneByte": iotest.OneByteReader,
		"Half":    iotest.HalfReader,
		"DataErr": iotest.DataErrReader,
	}
	for _, c := range loadCaptures(t) {
		want := events(t, c.frames)
		for name, wrap := range readers {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				got, err := readFrames(wrap(bytes.NewReader(c.data)), 0)
				if err != io.EOF {
					t.Fatalf("after %d frames: %v", len(got), err)
				}
				if len(got) != len(c.frames) {
					t.Fatalf("%d frames, want %d", len(got), len(c.frames))
				}
				for i := range got {
					if got[i].String() != c.frames[i].String() {
						t.Fatalf("frame %d: got %s\nwant %s", i, got[i], c.frames[i])
					}
				}
				ev := events(t, got)
				if strings.Join(ev, "\n") != strings.Join(want, "\n") {
					t.Fatal("events differ")
				}
			})
		}
	}
}

// TestTruncatedEverywhere cuts each capture short: a cut at a frame boundary
// is a clean io.EOF after the frames before it, any other cut is
// io.ErrUnexpectedEOF after the complete frames.
func TestTruncatedEverywhere(t *testing.T) {
	for _, c := range loadCaptures(t) {
		t.Run(c.name, func(t *testing.T) {
			var rd *Reader
			src := &source{}
			for _, k := range positions(len(c.data)) {
				first, data := c.window(k)
				start := 0
				if first > 0 {
					start = c.ends[first-1]
				}
				complete := first
				for complete < len(c.ends) && c.ends[complete] <= k {
					complete++
				}
				atBoundary := k == start || (complete > 0 && c.ends[complete-1] == k)
				rd = reuse(rd, src, bytes.NewReader(data[:k-start]))
				n := first
				var err error
				for {
					var m *Message
					if m, err = rd.ReadFrame(); err != nil {
						break
					}
					if !equalFrame(c.frames[n], m) {
						t.Fatalf("cut at %d: frame %d differs", k, n)
					}
					n++
				}
				want := io.ErrUnexpectedEOF
				if atBoundary {
					want = io.EOF
				}
				if err != want || n != complete {
					t.Fatalf("cut at %d: %d frames then %v; want %d then %v", k, n, err, complete, want)
				}
			}
		})
	}
}

// crlf rewrites a frame with CRLF line endings in its header block; the
// body (counted by Content-Length) is left as it is.
func crlf(f frame) []byte {
	b := []byte(f.Command)
	if f.Command != "" {
		b = append(b, "\r\n"...)
	}
	for _, h := range f.Headers {
		b = append(b, h.Name+": "+h.Value+"\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, f.Body...)
}

func TestCRLFAndLeadingBlankLines(t *testing.T) {
	for _, c := range loadCaptures(t) {
		var stream []byte
		for i, f := range c.frames {
			if i%3 == 0 {
				stream = append(stream, "\r\n\n\r\n"...) // leading blank lines, mixed
			}
			stream = append(stream, crlf(f)...)
		}
		got, err := readFrames(bytes.NewReader(stream), 0)
		if err != io.EOF || len(got) != len(c.frames) {
			t.Fatalf("%s: %d frames, %v", c.name, len(got), err)
		}
		for i := range got {
			if got[i].String() != c.frames[i].String() {
				t.Fatalf("%s: frame %d: %s\nwant %s", c.name, i, got[i], c.frames[i])
			}
		}
	}
}

// TestCRLFPlainEvents rewrites the header lines of every plain event body
// with CRLF (the inner body untouched) and expects the same events.
func TestCRLFPlainEvents(t *testing.T) {
	n := 0
	for _, c := range loadCaptures(t) {
		for _, f := range c.frames {
			if (&Message{Headers: f.Headers}).ContentType() != TypeEventPlain {
				continue
			}
			want, err := ParseEventPlain([]byte(f.Body))
			if err != nil {
				t.Fatal(err)
			}
			head, inner, _ := strings.Cut(f.Body, "\n\n")
			body := strings.ReplaceAll(head, "\n", "\r\n") + "\r\n\r\n" + inner
			got, err := ParseEventPlain([]byte(body))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: CRLF event differs:\n got %v\nwant %v", c.name, got, want)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no plain events in the captures")
	}
}

// TestTxCommandsRoundTrip reads every client capture with ReadCommand and
// re-encodes it byte-exactly with AppendCommand, also split at every point.
func TestTxCommandsRoundTrip(t *testing.T) {
	for _, f := range captureFiles(t, ".tx.txt") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		read := func(r io.Reader) []byte {
			rd := NewReader(r)
			var out []byte
			for {
				m, err := rd.ReadCommand()
				if err == io.EOF {
					return out
				}
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				out = AppendCommand(out, m.Command, m.Headers, m.Body)
			}
		}
		if got := read(bytes.NewReader(data)); !bytes.Equal(got, data) {
			t.Fatalf("%s: re-encoded commands differ:\n got %q\nwant %q", f, got, data)
		}
		for _, k := range positions(len(data)) {
			if got := read(&splitReader{data: data, k: k}); !bytes.Equal(got, data) {
				t.Fatalf("%s: split at %d differs", f, k)
			}
		}
	}
}

func TestFrameEdgeCases(t *testing.T) {
	type result struct {
		frames []frame
		err    error // io.EOF for a clean end
	}
	tooLarge := &ProtocolError{Err: ErrFrameTooLarge}
	malformed := &ProtocolError{}
	big := strings.Repeat("x", 1500)
	tests := []struct {
		name string
		in   string
		max  int
		want []frame
		err  error // io.EOF, io.ErrUnexpectedEOF, tooLarge or malformed
	}{
		{"empty stream", "", 0, nil, io.EOF},
		{"only blank lines", "\n\r\n\n", 0, nil, io.EOF},
		{"no Content-Length, next frame follows",
			"Content-Type: command/reply\nReply-Text: +OK\n\nContent-Type: auth/request\n\n", 0,
			[]frame{{Headers: []Header{{"Content-Type", "command/reply"}, {"Reply-Text", "+OK"}}}, {Headers: []Header{{"Content-Type", "auth/request"}}}},
			io.EOF},
		{"CRLF with body", "Content-Type: api/response\r\nContent-Length: 4\r\n\r\n+OK\n", 0,
			[]frame{{Headers: []Header{{"Content-Type", "api/response"}, {"Content-Length", "4"}}, Body: "+OK\n"}}, io.EOF},
		{"Content-Length 0", "Content-Length: 0\n\n", 0, []frame{{Headers: []Header{{"Content-Length", "0"}}}}, io.EOF},
		{"Content-Length lower case and padded", "content-length:  3 \n\nabc", 0,
			[]frame{{Headers: []Header{{"content-length", "3 "}}, Body: "abc"}}, io.EOF},
		{"negative Content-Length", "Content-Length: -5\n\nabcde", 0, nil, malformed},
		{"non-numeric Content-Length", "Content-Length: abc\n\n", 0, nil, malformed},
		{"Content-Length with junk", "Content-Length: 5x\n\nabcde", 0, nil, malformed},
		{"empty Content-Length", "Content-Length: \n\n", 0, nil, malformed},
		{"huge Content-Length", "Content-Length: 99999999999\n\n", 0, nil, tooLarge},
		{"absurd Content-Length", "Content-Length: 999999999999999999999999999999\n\n", 0, nil, tooLarge},
		{"over-limit Content-Length", "Content-Length: 2000\n\n", 1024, nil, tooLarge},
		// The limit covers the header lines with their line ends, and the body.
		{"at-limit frame", "Content-Length: 1003\n\n" + strings.Repeat("y", 1003), 1024,
			[]frame{{Headers: []Header{{"Content-Length", "1003"}}, Body: strings.Repeat("y", 1003)}}, io.EOF},
		{"one over the limit", "Content-Length: 1004\n\n" + strings.Repeat("y", 1004), 1024, nil, tooLarge},
		{"duplicate headers in order", "A: 1\nB: 2\nA: 3\n\n", 0,
			[]frame{{Headers: []Header{{"A", "1"}, {"B", "2"}, {"A", "3"}}}}, io.EOF},
		{"colons in values", "Reply-Text: +OK Job-UUID: a:b:c\nJob-UUID:abc\n\n", 0,
			[]frame{{Headers: []Header{{"Reply-Text", "+OK Job-UUID: a:b:c"}, {"Job-UUID", "abc"}}}}, io.EOF},
		{"empty values", "User-Data: \nX:\n\n", 0,
			[]frame{{Headers: []Header{{"User-Data", ""}, {"X", ""}}}}, io.EOF},
		{"non-UTF-8 kept", "X-Bin: \xff\xfe\x80:\x00\nContent-Length: 3\n\n\xc3\x28\xa0", 0,
			[]frame{{Headers: []Header{{"X-Bin", "\xff\xfe\x80:\x00"}, {"Content-Length", "3"}}, Body: "\xc3\x28\xa0"}}, io.EOF},
		{"header line without colon", "Content-Type api/response\n\n", 0, nil, malformed},
		{"header line starting with colon", ": x\n\n", 0, nil, malformed},
		{"header block over the limit", "A: " + big + "\n\n", 1024, nil, tooLarge},
		{"header block over the limit, many lines", strings.Repeat("A: 0123456789\n", 100) + "\n", 1024, nil, tooLarge},
		{"truncated in header", "Content-Type: api/res", 0, nil, io.ErrUnexpectedEOF},
		{"truncated before blank line", "Content-Type: api/response\n", 0, nil, io.ErrUnexpectedEOF},
		{"truncated in body", "Content-Length: 10\n\nabc", 0, nil, io.ErrUnexpectedEOF},
		{"truncated before body", "Content-Length: 10\n\n", 0, nil, io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readFrames(strings.NewReader(tc.in), tc.max)
			var pe *ProtocolError
			switch tc.err {
			case tooLarge:
				if !errors.As(err, &pe) || !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("err = %v, want *ProtocolError wrapping ErrFrameTooLarge", err)
				}
			case malformed:
				if !errors.As(err, &pe) || errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("err = %v, want a *ProtocolError", err)
				}
			default:
				if err != tc.err {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("frames\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestFrameGetters(t *testing.T) {
	rd := NewReader(strings.NewReader("Content-Type: command/reply\nreply-text: +OK\nReply-Text: second\n\n"))
	m, err := rd.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if m.ContentType() != TypeCommandReply || m.ReplyText() != "second" || m.Get("REPLY-TEXT") != "+OK" || m.IsEvent() {
		t.Fatalf("getters: %q %q %q %v", m.ContentType(), m.ReplyText(), m.Get("REPLY-TEXT"), m.IsEvent())
	}
	if _, ok := m.Lookup("Content-Length"); ok {
		t.Fatal("Lookup found a missing header")
	}
}

// endless yields the same byte forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// TestNoAllocationForOversizedFrames checks the limit is enforced before any
// allocation of the claimed size: a 1 GiB Content-Length and an endless
// header line against a 1 MiB limit.
func TestNoAllocationForOversizedFrames(t *testing.T) {
	const limit = 1 << 20
	cases := map[string]func() io.Reader{
		"1 GiB Content-Length": func() io.Reader {
			return io.MultiReader(strings.NewReader("Content-Type: api/response\nContent-Length: 1073741824\n\n"), endless('x'))
		},
		"endless header line": func() io.Reader { return endless('a') },
		"endless header block": func() io.Reader {
			return io.MultiReader(strings.NewReader("Content-Type: x\n"), &repeatReader{line: []byte("A: b\n")})
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rd := NewReader(mk())
			rd.SetMaxFrameSize(limit)
			_, err := rd.ReadFrame()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrFrameTooLarge) {
				t.Fatalf("err = %v, want ErrFrameTooLarge", err)
			}
			// The 64 KiB read buffer plus header scratch bounded by the limit
			// (growing by doubling) are expected; the claimed size is not.
			got := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes allocated", got)
			if got > 8*limit {
				t.Fatalf("allocated %d bytes for a refused frame", got)
			}
		})
	}
	allocs := testing.AllocsPerRun(20, func() {
		rd := NewReader(io.MultiReader(strings.NewReader("Content-Length: 1073741824\n\n"), endless('x')))
		rd.SetMaxFrameSize(limit)
		if _, err := rd.ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
			t.Fatal(err)
		}
	})
	if allocs > 16 {
		t.Fatalf("%v allocations to refuse a frame", allocs)
	}
}

type repeatReader struct {
	line []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.line[r.off]
		r.off = (r.off + 1) % len(r.line)
	}
	return len(p), nil
}

func TestSetMaxFrameSize(t *testing.T) {
	rd := NewReader(strings.NewReader(""))
	if rd.MaxFrameSize() != DefaultMaxFrameSize {
		t.Fatal(rd.MaxFrameSize())
	}
	rd.SetMaxFrameSize(10)
	if rd.MaxFrameSize() != 10 {
		t.Fatal(rd.MaxFrameSize())
	}
	rd.SetMaxFrameSize(-1)
	if rd.MaxFrameSize() != DefaultMaxFrameSize {
		t.Fatal(rd.MaxFrameSize())
	}
}

func TestParseLength(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "42": 42, " 7\t": 7, "2147483646": 2147483646, "2147483648": maxLength,
		"99999999999": maxLength, "000000000000000000012": 12} {
		if got, ok := parseLength(in); !ok || got != want {
			t.Errorf("parseLength(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", " ", "-1", "+1", "1e3", "0x10", "1 2", "١"} {
		if _, ok := parseLength(in); ok {
			t.Errorf("parseLength(%q) accepted", in)
		}
	}
}
