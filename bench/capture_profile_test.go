package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchio/switchio/esl/wire"
)

// callEvents are the events a measured TonePlay dial subscribes (the
// cluster's, the dialer's, TonePlay's CHANNEL_PARK and the CDR's).
var callEvents = map[string]bool{
	"BACKGROUND_JOB": true, "CHANNEL_CREATE": true, "CHANNEL_ANSWER": true, "CHANNEL_PARK": true,
	"CHANNEL_HANGUP_COMPLETE": true, "CHANNEL_DESTROY": true, "CHANNEL_ORIGINATE": true,
	"CHANNEL_PROGRESS": true, "CHANNEL_PROGRESS_MEDIA": true,
}

// captureProfile is what a real FreeSWITCH 1.10.12 sent of those events
// in one captured call: their count and their bytes on the wire.
type captureProfile struct {
	name   string
	events int
	bytes  int
}

func (p captureProfile) bytesPerEvent() float64 { return float64(p.bytes) / float64(p.events) }

// loadCaptureProfile reads a capture's received frames. BACKGROUND_JOBs
// are counted once: capture 21 ran a dozen api jobs of its own besides the
// call's originate.
func loadCaptureProfile(tb testing.TB, file string) captureProfile {
	tb.Helper()
	frames, err := capturedEvents(file)
	if err != nil {
		tb.Fatal(err)
	}
	p := captureProfile{name: file}
	jobs := 0
	for _, m := range frames {
		ev, err := wire.ParseEventPlain(m.Body)
		if err != nil {
			tb.Fatal(err)
		}
		name := ev.Get("Event-Name")
		if !callEvents[name] {
			continue
		}
		if name == "BACKGROUND_JOB" {
			if jobs++; jobs > 1 {
				continue
			}
		}
		p.events++
		p.bytes += len(wire.AppendMessage(nil, m.Headers, m.Body))
	}
	if p.events == 0 {
		tb.Fatalf("%s: none of the call's events", file)
	}
	return p
}

// capturedEvents returns the text/event-plain frames a capture's
// received side holds, in order.
func capturedEvents(file string) ([]*wire.Message, error) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "captures", file))
	if err != nil {
		return nil, err
	}
	var frames []*wire.Message
	rd := wire.NewReader(bytes.NewReader(data))
	for {
		m, err := rd.ReadMessage()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if m.ContentType() == wire.TypeEventPlain {
			frames = append(frames, m)
		}
	}
}

// The captured calls are what the dialer benchmarks' emulator must look
// like: both hold the events a dial subscribes, a few KB each.
func TestCaptureProfiles(t *testing.T) {
	for _, f := range []string{"06_call_sofia_plain_all.rx.txt", "21_playrec_recorded.rx.txt"} {
		p := loadCaptureProfile(t, f)
		if p.events < 10 || p.bytesPerEvent() < 2000 {
			t.Errorf("%s: %d events of %.0f bytes: not a whole call", f, p.events, p.bytesPerEvent())
		}
		t.Logf("%s: %d events, %.1f KB, %.0f bytes each", f, p.events, float64(p.bytes)/1024, p.bytesPerEvent())
	}
}
