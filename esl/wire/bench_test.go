package wire

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// plainEventStream returns the text/event-plain frames of the 06 capture.
func plainEventStream(b *testing.B) ([]byte, int) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", "06_call_sofia_plain_all.rx.txt"))
	if err != nil {
		b.Fatal(err)
	}
	rd := NewReader(bytes.NewReader(data))
	var out []byte
	n := 0
	for {
		m, err := rd.ReadMessage()
		if err == io.EOF {
			return out, n
		}
		if err != nil {
			b.Fatal(err)
		}
		if m.ContentType() == TypeEventPlain {
			out = AppendMessage(out, m.Headers, m.Body)
			n++
		}
	}
}

// BenchmarkReadFrameParse is the in-memory core of bench/BenchmarkParse:
// ReadFrame and ParseEvent over real plain events, no socket. One op is one
// event.
func BenchmarkReadFrameParse(b *testing.B) {
	data, n := plainEventStream(b)
	b.SetBytes(int64(len(data) / n))
	b.ReportAllocs()
	r := bytes.NewReader(data)
	rd := NewReader(r)
	for i := 0; i < b.N; i++ {
		m, err := rd.ReadFrame()
		if err == io.EOF {
			r.Reset(data)
			m, err = rd.ReadFrame()
		}
		if err != nil {
			b.Fatal(err)
		}
		ev, err := ParseEvent(m.ContentType(), m.Body)
		if err != nil || ev.Name() == "" {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEventPlain parses the same events already framed.
func BenchmarkParseEventPlain(b *testing.B) {
	data, _ := plainEventStream(b)
	var bodies [][]byte
	rd := NewReader(bytes.NewReader(data))
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			break
		}
		bodies = append(bodies, m.Body)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseEventPlain(bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEventJSON parses the text/event-json bodies of the 07
// capture, already framed: the JSON parser's hot path (jsonParser.str).
func BenchmarkParseEventJSON(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", "07_call_sofia_json_all.rx.txt"))
	if err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	size := 0
	rd := NewReader(bytes.NewReader(data))
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			break
		}
		if m.ContentType() == TypeEventJSON {
			bodies = append(bodies, m.Body)
			size += len(m.Body)
		}
	}
	if len(bodies) == 0 {
		b.Fatal("no text/event-json frames in the capture")
	}
	b.SetBytes(int64(size / len(bodies)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseEventJSON(bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
	}
}
