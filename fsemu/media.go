package fsemu

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

const sampleRate = 8000

// tone is one %(on,off,f1,f2...) element of a tone_stream.
type tone struct {
	on, off time.Duration
	freqs   []float64
}

// mediaSpec describes a playable file: tones, silence or WAV samples.
type mediaSpec struct {
	kind    string // tone_stream, silence_stream, file
	tones   []tone
	loops   int
	dur     time.Duration // one loop; <0 endless
	samples []int16       // WAV data (8 kHz mono 16-bit)
}

// parseMedia parses a playback argument. ok=false means file not found.
func parseMedia(path string) (mediaSpec, bool) {
	switch {
	case strings.HasPrefix(path, "tone_stream://"):
		spec := path[len("tone_stream://"):]
		m := mediaSpec{kind: "tone_stream", loops: 1}
		for _, part := range strings.Split(spec, ";") {
			part = strings.TrimSpace(part)
			switch {
			case strings.HasPrefix(part, "loops="):
				m.loops = atoi(part[6:])
			case strings.HasPrefix(part, "L="):
				m.loops = atoi(part[2:])
			case strings.HasPrefix(part, "%(") || strings.HasPrefix(part, "v=") || strings.HasPrefix(part, "%"):
				inner := strings.TrimSuffix(strings.TrimPrefix(part, "%("), ")")
				f := strings.Split(inner, ",")
				if len(f) < 2 {
					continue
				}
				on, off := atoi(f[0]), atoi(f[1])
				t := tone{on: time.Duration(on) * time.Millisecond, off: time.Duration(off) * time.Millisecond}
				for _, x := range f[2:] {
					if fr, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
						t.freqs = append(t.freqs, fr)
					}
				}
				m.tones = append(m.tones, t)
			}
		}
		for _, t := range m.tones {
			m.dur += t.on + t.off
		}
		if m.loops < 0 {
			m.dur = -1
		}
		return m, true
	case strings.HasPrefix(path, "silence_stream://"):
		f := strings.Split(path[len("silence_stream://"):], ",")
		ms := atoi(f[0])
		m := mediaSpec{kind: "silence_stream", loops: 1, dur: time.Duration(ms) * time.Millisecond}
		if ms <= 0 {
			m.dur = -1
		}
		return m, true
	}
	p := path
	if strings.HasPrefix(p, "file_string://") {
		p = strings.Split(p[len("file_string://"):], "!")[0]
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return mediaSpec{}, false
	}
	samples, rate, ch, bits := parseWAV(b)
	m := mediaSpec{kind: "file", loops: 1}
	if rate == 0 {
		return m, false
	}
	frames := len(samples) / ch
	m.dur = time.Duration(frames) * time.Second / time.Duration(rate)
	if rate == sampleRate && ch == 1 && bits == 16 {
		m.samples = samples
	}
	return m, true
}

// parseWAV returns PCM16 samples of a RIFF/WAVE file (rate 0 if not one).
func parseWAV(b []byte) (samples []int16, rate, channels, bits int) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, 0, 0
	}
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8:]
		if n > len(body) {
			n = len(body)
		}
		switch id {
		case "fmt ":
			if n >= 16 {
				channels = int(binary.LittleEndian.Uint16(body[2:]))
				rate = int(binary.LittleEndian.Uint32(body[4:]))
				bits = int(binary.LittleEndian.Uint16(body[14:]))
			}
		case "data":
			if bits == 16 {
				samples = make([]int16, n/2)
				for i := range samples {
					samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
				}
			} else if bits > 0 && channels > 0 {
				samples = make([]int16, n/(bits/8))
			}
		}
		off += 8 + n + n&1
	}
	if channels == 0 {
		return nil, 0, 0, 0
	}
	return samples, rate, channels, bits
}

// render writes the audio of d from the start of the spec into out.
func (m *mediaSpec) render(out []int16, offset int) {
	switch m.kind {
	case "tone_stream":
		loopLen := int(m.dur.Seconds() * sampleRate)
		if loopLen <= 0 {
			return
		}
		for i := range out {
			pos := (offset + i) % loopLen
			if m.loops > 0 && (offset+i)/loopLen >= m.loops {
				return
			}
			for _, t := range m.tones {
				on := int(t.on.Seconds() * sampleRate)
				off := int(t.off.Seconds() * sampleRate)
				if pos < on {
					var v float64
					for _, f := range t.freqs {
						v += math.Sin(2 * math.Pi * f * float64(pos) / sampleRate)
					}
					if n := len(t.freqs); n > 0 {
						v = v / float64(n) * 8000
					}
					out[i] += int16(v)
					break
				}
				pos -= on + off
				if pos < 0 {
					break
				}
			}
		}
	case "file":
		for i := range out {
			j := offset + i
			if j >= len(m.samples) {
				return
			}
			out[i] += m.samples[j]
		}
	}
}

// playSeg is audio a channel sent, kept for recordings on either end.
type playSeg struct {
	start int64 // µs
	end   int64 // µs (0: still playing)
	spec  mediaSpec
}

type recording struct {
	path  string
	start int64
	limit time.Duration
	timer Timer
}

type mediaState struct {
	sent      []playSeg // audio this channel played (heard by the far end)
	trimmedUS int64     // playing time of segments dropped from sent
	bertFrom  int64     // µs: bert_test started sending its pattern (0: never)
	// rtpPeer is the far end of the channel's RTP stream, kept past the
	// dialog's end for the hang-up statistics.
	rtpPeer *channel
}

// playbackTypeOf is the Playback-File-Type header value.
func playbackTypeOf(path string) string {
	if i := strings.Index(path, "://"); i > 0 {
		return path[:i]
	}
	return ""
}

func (ch *channel) playback(ap *appRun, done func()) {
	s := ch.s
	path := ap.arg
	m, ok := parseMedia(path)
	if !ok {
		ch.setVar("current_application_response", "FILE NOT FOUND")
		done()
		return
	}
	if ap.name == "endless_playback" {
		m.loops = -1
	}
	ap.file = path
	ap.started = s.clock.Now()
	ch.media.sent = append(ch.media.sent, playSeg{start: ap.started.UnixMicro(), spec: m})
	if len(ch.media.sent) > 64 {
		for _, seg := range ch.media.sent[:len(ch.media.sent)-64] {
			ch.media.trimmedUS += seg.playedUS(seg.end)
		}
		ch.media.sent = ch.media.sent[len(ch.media.sent)-64:]
	}
	ch.emit(evPlayStart, nil, playHeaders(path, ""))
	total := m.dur * time.Duration(max(m.loops, 1))
	if m.dur < 0 || m.loops < 0 {
		return // until break or hang-up
	}
	ap.timer = s.clock.AfterFunc(total, func() {
		s.lock()
		defer s.unlock()
		if ap.timer == nil || ch.gone() {
			return
		}
		ap.timer = nil
		ap.playbackStop(ch, "done")
		ch.setVar("current_application_response", "FILE PLAYED")
		done()
	})
}

func playHeaders(path, status string) []wire.Header {
	var h []wire.Header
	if t := playbackTypeOf(path); t != "" && t != "file_string" {
		h = append(h, wire.Header{Name: "Playback-File-Type", Value: t})
	}
	h = append(h, wire.Header{Name: "Playback-File-Path", Value: path})
	if status != "" {
		h = append(h, wire.Header{Name: "Playback-Status", Value: status})
	}
	return h
}

func (ap *appRun) playbackStop(ch *channel, status string) {
	if ap.file == "" {
		return
	}
	el := ch.s.clock.Now().Sub(ap.started)
	if n := len(ch.media.sent); n > 0 && ch.media.sent[n-1].end == 0 {
		ch.media.sent[n-1].end = ch.s.nowMicros()
	}
	samples := int64(el.Seconds() * sampleRate)
	ch.setVar("playback_last_offset_pos", strconv.FormatInt(samples, 10))
	ch.setVar("playback_seconds", strconv.FormatInt(int64(el/time.Second), 10))
	ch.setVar("playback_ms", strconv.FormatInt(el.Milliseconds(), 10))
	ch.setVar("playback_samples", strconv.FormatInt(samples, 10))
	ch.emit(evPlayStop, nil, playHeaders(ap.file, status))
	ap.file = ""
	if status == "break" {
		ch.setVar("current_application_response", "FILE PLAYED")
	}
}

// startRecord starts recording what the channel hears and says.
func (ch *channel) startRecord(arg string) bool {
	f := strings.Fields(arg)
	if len(f) == 0 || ch.record != nil {
		return false
	}
	path := f[0]
	r := &recording{path: path, start: ch.s.nowMicros()}
	if len(f) > 1 {
		if n := atoi(f[1]); n > 0 {
			r.limit = time.Duration(n) * time.Second
		}
	}
	ch.record = r
	ch.emit(evRecStart, nil, []wire.Header{{Name: "Record-File-Path", Value: path}})
	ch.emit(evBugStart, nil, []wire.Header{{Name: "Media-Bug-Function", Value: "session_record"},
		{Name: "Media-Bug-Target", Value: path}})
	if r.limit > 0 {
		ch.after(r.limit, func() { ch.stopRecord("") })
	}
	return true
}

// stopRecord writes the WAV (8 kHz, 16-bit, mono) and raises RECORD_STOP.
func (ch *channel) stopRecord(path string) bool {
	r := ch.record
	if r == nil || (path != "" && path != "all" && path != r.path) {
		return false
	}
	ch.record = nil
	now := ch.s.nowMicros()
	n := int((now - r.start) * sampleRate / 1e6)
	buf := make([]int16, n)
	mix := func(c *channel) {
		if c == nil {
			return
		}
		for _, seg := range c.media.sent {
			end := seg.end
			if end == 0 {
				end = now
			}
			if end <= r.start || seg.start >= now {
				continue
			}
			from := int((seg.start - r.start) * sampleRate / 1e6)
			off := 0
			if from < 0 {
				off = -from
				from = 0
			}
			to := int((end - r.start) * sampleRate / 1e6)
			if to > n {
				to = n
			}
			if to > from {
				seg.spec.render(buf[from:to], off)
			}
		}
	}
	mix(ch)
	mix(ch.peer)
	mix(ch.bridged)
	size := writeWAV(r.path, buf)
	ms := (now - r.start) / 1000
	ch.setVar("record_file_size", strconv.Itoa(size))
	ch.setVar("record_samples", strconv.Itoa(n))
	ch.setVar("record_seconds", strconv.FormatInt(ms/1000, 10))
	ch.setVar("record_ms", strconv.FormatInt(ms, 10))
	ch.setVar("record_completion_cause", "success-maxtime")
	ch.emit(evRecStop, nil, []wire.Header{{Name: "Record-File-Path", Value: r.path},
		{Name: "Record-Completion-Cause", Value: "success-maxtime"}})
	ch.emit(evBugStop, nil, []wire.Header{{Name: "Media-Bug-Function", Value: "session_record"},
		{Name: "Media-Bug-Target", Value: r.path}})
	return true
}

// writeWAV writes PCM16 mono 8 kHz; it returns the file size (0 on error).
func writeWAV(path string, s []int16) int {
	b := make([]byte, 44+2*len(s))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(s)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], sampleRate)
	binary.LittleEndian.PutUint32(b[28:], sampleRate*2)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(s)))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	if dir := filepath.Dir(path); dir != "" {
		os.MkdirAll(dir, 0o755)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return 0
	}
	return len(b)
}

// bertTest emulates mod_bert: once a second of test pattern has arrived
// in order the channel reports mod_bert::in_sync; while the link to the far
// end loses 1% or more of its packets (Link.Loss, bert's default maximum
// error rate) it is out of sync: mod_bert::lost_sync when sync is lost,
// mod_bert::timeout when no sync was reached within bert_timeout_ms.
func (ch *channel) bertTest(ap *appRun, done func()) {
	s := ch.s
	ch.answerLocal()
	ch.media.bertFrom = s.nowMicros()
	ch.setVar("bert_stats_sync_lost", "false")
	ch.setVar("bert_stats_sync_lost_count", "0")
	timeout := 5000 * time.Millisecond
	if v, ok := ch.getVar("bert_timeout_ms"); ok {
		if n := atoi(v); n > 0 {
			timeout = time.Duration(n) * time.Millisecond
		}
	}
	hangupOnErr := switchTrue(ch.varOr("bert_hangup_on_error", ""))
	inSync, lost := false, 0
	var unsynced time.Duration
	var tick func()
	tick = func() {
		if len(ch.apps) == 0 || ch.apps[len(ch.apps)-1] != ap {
			return // the test was stopped
		}
		loss := 0.0
		if p := ch.peer; p != nil {
			loss = s.net.link(s, p.s).Loss
		}
		good := loss < 0.01
		switch {
		case good && !inSync:
			inSync, unsynced = true, 0
			ch.bertEvent("mod_bert::in_sync", 313)
		case !good && inSync:
			inSync = false
			lost++
			ch.setVar("bert_stats_sync_lost", "true")
			ch.setVar("bert_stats_sync_lost_count", strconv.Itoa(lost))
			ch.bertEvent("mod_bert::lost_sync", 321)
			if hangupOnErr {
				s.hangup(ch, "NORMAL_CLEARING")
				return
			}
		case !good:
			unsynced += time.Second
			if unsynced >= timeout {
				unsynced = 0
				ch.setVar("bert_stats_sync_lost", "true")
				ch.bertEvent("mod_bert::timeout", 328)
				if hangupOnErr {
					s.hangup(ch, "NORMAL_CLEARING")
					return
				}
			}
		}
		ch.after(time.Second, tick)
	}
	ch.after(time.Second, tick)
}

func (ch *channel) bertEvent(sub string, line int) {
	s := ch.s
	if !s.wants(evCUSTOM) {
		s.seq++
		return
	}
	ev := &wire.Event{Headers: make([]wire.Header, 0, 64)}
	ev.Headers = append(ev.Headers, wire.Header{Name: "Event-Subclass", Value: sub},
		wire.Header{Name: "Event-Name", Value: "CUSTOM"})
	s.appendStd(ev, "mod_bert.c", "bert_test_function", line)
	ch.appendBlock(ev, s.verbose)
	s.fire(ev, ch)
}
