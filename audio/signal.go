package audio

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Tone is one element of a test signal: a sine of Hz for Dur, or silence
// for Dur when Hz is 0.
type Tone struct {
	Hz  float64       // frequency in Hz; 0 means silence
	Dur time.Duration // how long it lasts
}

// Signal is a known sequence of tones, e.g. the test clip PlayRec plays, so
// that a recording of it can be verified (Expect.Signal): each tone should
// be heard, in order. Tones of one Signal should be at least 200 Hz apart
// and last at least 40 ms, or Analyze's 10 ms frames cannot tell them apart.
type Signal []Tone

// TestSignal returns the shipped test clip: six tones of 200 ms, each
// followed by 50 ms of silence, 1.5 s in all. The frequencies are at least
// 400 Hz from each other; at least 100 Hz from every DTMF frequency (697,
// 770, 852, 941, 1209, 1336, 1477, 1633 Hz), so no tone is mistaken for
// half a digit; 96 Hz or more from TonePlay's 1004 Hz; well away from
// 2100 Hz (which disables echo cancellers) and 2600 Hz (in-band trunk
// signalling); and inside the 300..3400 Hz telephone band, so they survive
// G.711 at 8 kHz. Each call returns a new slice, which the caller may
// change.
func TestSignal() Signal {
	return Signal{
		{560, 200 * time.Millisecond}, {0, 50 * time.Millisecond},
		{1100, 200 * time.Millisecond}, {0, 50 * time.Millisecond},
		{1850, 200 * time.Millisecond}, {0, 50 * time.Millisecond},
		{2350, 200 * time.Millisecond}, {0, 50 * time.Millisecond},
		{2900, 200 * time.Millisecond}, {0, 50 * time.Millisecond},
		{3300, 200 * time.Millisecond}, {0, 50 * time.Millisecond},
	}
}

// isTone reports whether hz is an audible element's frequency rather than
// silence.
func isTone(hz float64) bool { return hz > 0 && !math.IsInf(hz, 1) }

// Duration returns how long the signal plays once: the sum of its
// elements' durations (negative ones count as 0).
func (s Signal) Duration() time.Duration {
	var d time.Duration
	for _, t := range s {
		d += max(t.Dur, 0)
	}
	return d
}

// rampDur is the length of the raised-cosine fade at each end of a
// rendered tone: long enough that switching a tone on or off does not
// spread energy over the spectrum (a click), short enough to leave the
// tone's level steady for Goertzel.
const rampDur = 5 * time.Millisecond

// Render renders the signal as a mono clip at rate Hz, each tone a sine
// whose peak amplitude is levelDBFS relative to full scale (0: full scale,
// -10: 10 dB below). A sine's RMS level, as LevelDBFS and Analysis report
// it, is 3.01 dB below its peak: rendered at -10, a tone measures -13.01
// dBFS. Each tone fades in and out over 5 ms with a raised cosine so that
// Goertzel sees no clicks. Element boundaries are rounded to the nearest
// sample without accumulating error. A rate that is not positive gives an
// empty clip.
func (s Signal) Render(rate int, levelDBFS float64) *Clip {
	c := &Clip{Rate: rate, Channels: [][]int16{nil}}
	if rate <= 0 {
		return c
	}
	at := func(d time.Duration) int { return int(math.Round(d.Seconds() * float64(rate))) }
	out := make([]int16, at(s.Duration()))
	amp := min(32767*math.Pow(10, levelDBFS/20), 32767)
	if math.IsNaN(amp) {
		amp = 0
	}
	ramp := at(rampDur)
	var t time.Duration
	for _, tn := range s {
		a := at(t)
		t += max(tn.Dur, 0)
		b := at(t)
		if !isTone(tn.Hz) {
			continue
		}
		n := b - a
		r := min(ramp, n/2)
		w := 2 * math.Pi * tn.Hz / float64(rate)
		for i := range n {
			v := amp * math.Sin(w*float64(i))
			if e := min(i, n-1-i); e < r {
				v *= 0.5 * (1 - math.Cos(math.Pi*float64(e)/float64(r)))
			}
			out[a+i] = int16(math.Round(v))
		}
	}
	c.Channels[0] = out
	return c
}

// ToneStream returns the FreeSWITCH tone_stream:// URL that plays the
// signal once, so the same Signal can be played by FreeSWITCH and checked
// in the recording, e.g. "tone_stream://%(200,50,560);%(200,50,1100);...".
//
// Each tone becomes one element %(on_ms,off_ms,freq); elements are joined
// by ';' and silences (Hz 0) are folded into the previous element's off
// time. Durations are rounded to whole milliseconds, as FreeSWITCH reads
// them as integers. The syntax follows FreeSWITCH's own documentation
// ("mod_tone_stream" and "TGML" in FreeSWITCH-Explained on
// developer.signalwire.com: tone_stream://%(<on>,<off>,<freq>...) with
// elements separated by ';') and libteletone's parser (teletone_run in
// libteletone_generate.c), which skips an element whose first frequency is
// 0. So a silence before the first tone, which has no element to fold
// into, is written as %(0,off_ms,freq) with the next tone's frequency: zero
// milliseconds of that tone, then the silence.
func (s Signal) ToneStream() string {
	type element struct {
		on, off int64
		hz      float64
	}
	var els []element
	var lead int64 // milliseconds of silence before the first tone
	for _, t := range s {
		ms := max(t.Dur, 0).Round(time.Millisecond).Milliseconds()
		switch {
		case ms == 0:
		case isTone(t.Hz):
			els = append(els, element{on: ms, hz: t.Hz})
		case len(els) == 0:
			lead += ms
		default:
			els[len(els)-1].off += ms
		}
	}
	if lead > 0 {
		hz := 1000.0
		if len(els) > 0 {
			hz = els[0].hz
		}
		els = append([]element{{off: lead, hz: hz}}, els...)
	}
	var b strings.Builder
	b.WriteString("tone_stream://")
	for i, e := range els {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString("%(")
		b.WriteString(strconv.FormatInt(e.on, 10))
		b.WriteByte(',')
		b.WriteString(strconv.FormatInt(e.off, 10))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(e.hz, 'f', -1, 64))
		b.WriteByte(')')
	}
	return b.String()
}
