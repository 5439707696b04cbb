package wire

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
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
