package fsemu

import (
	"encoding/binary"
	"math"
	"os"
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
	dur     time.Duration // one loop; <0 endless (loops < 0 repeats it for ever)
	samples []int16       // WAV data (8 kHz mono 16-bit)
}

// parseMedia parses a playback argument. ok=false means file not found.
// Leading {var=value} blocks are the file handle's parameters
// (switch_core_file.c switch_core_file_open); tone_stream takes its
// "loops" from them (mod_tone_stream.c tone_stream_file_open).
func parseMedia(path string) (mediaSpec, bool) {
	params, path := fileParams(path)
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
		if v := varOf(params, "loops"); v != "" {
			m.loops = atoi(v)
		}
		for _, t := range m.tones {
			m.dur += t.on + t.off
		}
		// loops < 0 repeats for ever; dur stays one loop's length
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
					out[i] = clamp16(int32(out[i]) + int32(v))
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
			out[i] = clamp16(int32(out[i]) + int32(m.samples[j]))
		}
	}
}

// playSeg is audio a channel sent, kept for recordings on either end.
type playSeg struct {
	start int64 // µs
	end   int64 // µs (0: still playing)
	spec  mediaSpec
	skip  int // samples of spec played before start (a resumed playback)
}

type mediaState struct {
	sent      []playSeg // audio this channel played (heard by the far end)
	trimmedUS int64     // playing time of segments dropped from sent
	bertFrom  int64     // µs: bert_test started sending its pattern (0: never)
	// rtpPeer is the far end of the channel's RTP stream, kept past the
	// dialog's end for the hang-up statistics.
	rtpPeer *channel
	bugSeq  uint64    // media bugs added so far (nextBug)
	audio   *audioBug // the uuid_audio bug, nil when none
	fx      []fxSpan  // uuid_audio effects over time
	echo    []span    // the echo application ran (to 0: still running)
}

// fileParams splits a file path's leading {var=value,...} blocks (the
// file handle's parameters) from the path.
func fileParams(path string) (params []wire.Header, rest string) {
	for strings.HasPrefix(path, "{") {
		end := matchClose(path, '{', '}')
		if end < 0 {
			break
		}
		params = append(params, parseVarBlock(path[1:end])...)
		path = path[end+1:]
	}
	return params, path
}
