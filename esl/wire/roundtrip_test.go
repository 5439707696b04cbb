package wire

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func captureFiles(t testing.TB, suffix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "captures", "*"+suffix))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	return files
}

// reencode writes every frame of a capture back with the codec: events go
// through ParseEvent and AppendEventFrame, other frames through AppendMessage.
func reencode(t *testing.T, data []byte) []byte {
	t.Helper()
	r := NewReader(bytes.NewReader(data))
	var out []byte
	for {
		m, err := r.ReadMessage()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read at output offset %d: %v", len(out), err)
		}
		if m.IsEvent() {
			f, _ := ParseFormat(m.ContentType()[len("text/event-"):])
			ev, err := ParseEvent(m.ContentType(), m.Body)
			if err != nil {
				t.Fatalf("parse event: %v", err)
			}
			out = AppendEventFrame(out, f, ev)
			continue
		}
		out = AppendMessage(out, m.Headers, m.Body)
	}
}

func TestCaptureRoundTripByteExact(t *testing.T) {
	for _, f := range captureFiles(t, ".rx.txt") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := reencode(t, data)
			if !bytes.Equal(got, data) {
				i := 0
				for i < len(got) && i < len(data) && got[i] == data[i] {
					i++
				}
				lo := max(0, i-120)
				t.Fatalf("differs at byte %d of %d:\nwant %q\n got %q", i, len(data), data[lo:min(len(data), i+80)], got[lo:min(len(got), i+80)])
			}
		})
	}
}

// TestParsedEventsOutliveReadFrame: events parsed straight out of
// ReadFrame's reused buffer (as esl.Conn does) own their memory, and a
// cloned frame owns its own: both stay intact after every later read.
func TestParsedEventsOutliveReadFrame(t *testing.T) {
	for _, f := range captureFiles(t, ".rx.txt") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		type kept struct {
			ev    *Event
			frame *Message
			want  string
		}
		var all []kept
		r := NewReader(bytes.NewReader(data))
		for {
			m, err := r.ReadFrame()
			if err != nil {
				break
			}
			k := kept{frame: m.Clone()}
			if ct := m.ContentType(); IsEventType(ct) {
				if k.ev, err = ParseEvent(ct, m.Body); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
			}
			k.want = snapshot(k.ev, k.frame)
			all = append(all, k)
		}
		if len(all) == 0 {
			t.Fatalf("%s: no frames", f)
		}
		for i, k := range all {
			if got := snapshot(k.ev, k.frame); got != k.want {
				t.Fatalf("%s: frame %d changed after later reads", filepath.Base(f), i)
			}
		}
	}
}

// snapshot renders an event and a frame into a fresh string.
func snapshot(ev *Event, m *Message) string {
	var b strings.Builder
	if ev != nil {
		for _, h := range ev.Headers {
			b.WriteString(h.Name + "\x00" + h.Value + "\x00")
		}
		b.WriteString(ev.Body)
	}
	b.WriteString(m.Command)
	for _, h := range m.Headers {
		b.WriteString(h.Name + "\x00" + h.Value + "\x00")
	}
	b.Write(m.Body)
	return b.String()
}
