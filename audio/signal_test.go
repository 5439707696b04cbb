package audio

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTestSignal checks the shipped clip keeps the properties its doc
// comment promises.
func TestTestSignal(t *testing.T) {
	if d := TestSignal().Duration(); d != 1500*time.Millisecond {
		t.Errorf("duration %v", d)
	}
	// Each call returns a copy: changing one leaves the next untouched.
	changed := TestSignal()
	changed[0].Hz = 1000
	if hz := TestSignal()[0].Hz; hz != 560 {
		t.Errorf("a change to one TestSignal() shows in the next: first tone %v Hz", hz)
	}
	var freqs []float64
	for i, tn := range TestSignal() {
		if i%2 == 0 {
			if tn.Hz <= 0 || tn.Dur != ms(200) {
				t.Errorf("element %d: %+v, want a 200 ms tone", i, tn)
			}
			freqs = append(freqs, tn.Hz)
		} else if tn.Hz != 0 || tn.Dur != ms(50) {
			t.Errorf("element %d: %+v, want 50 ms of silence", i, tn)
		}
	}
	if len(freqs) != 6 {
		t.Fatalf("%d tones", len(freqs))
	}
	dtmf := []float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}
	for i, f := range freqs {
		for _, g := range freqs[:i] {
			if math.Abs(f-g) < 400 {
				t.Errorf("%v and %v Hz are too close", f, g)
			}
		}
		for _, g := range dtmf {
			if math.Abs(f-g) < 100 {
				t.Errorf("%v Hz is near DTMF %v Hz", f, g)
			}
		}
		for _, g := range []float64{1004, 2100, 2600} {
			if math.Abs(f-g) < 90 {
				t.Errorf("%v Hz is near %v Hz", f, g)
			}
		}
		if f < 300 || f > 3400 {
			t.Errorf("%v Hz is outside the telephone band", f)
		}
	}
}

// TestToneStream checks the tone_stream URLs.
func TestToneStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Signal
		want string
	}{
		{"TestSignal", TestSignal(), "tone_stream://%(200,50,560);%(200,50,1100);%(200,50,1850);%(200,50,2350);%(200,50,2900);%(200,50,3300)"},
		{"empty", nil, "tone_stream://"},
		{"one tone", Signal{{1004, time.Second}}, "tone_stream://%(1000,0,1004)"},
		{"silences folded", Signal{{440, ms(100)}, {0, ms(20)}, {0, ms(30)}, {480, ms(100)}}, "tone_stream://%(100,50,440);%(100,0,480)"},
		{"leading silence", Signal{{0, ms(300)}, {500, ms(100)}, {0, ms(100)}}, "tone_stream://%(0,300,500);%(100,100,500)"},
		{"silence only", Signal{{0, ms(500)}}, "tone_stream://%(0,500,1000)"},
		{"fractional", Signal{{1004.5, 1500 * time.Microsecond}, {0, 2400 * time.Microsecond}}, "tone_stream://%(2,2,1004.5)"},
		{"zero and negative durations", Signal{{700, 0}, {800, ms(10)}, {900, -ms(5)}, {0, -ms(5)}}, "tone_stream://%(10,0,800)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.ToneStream(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// parseToneStream reads a tone_stream URL back the way libteletone does
// (elements split on ';', %(on,off,freq...), elements whose first frequency
// is 0 ignored) and returns it as a Signal.
func parseToneStream(t *testing.T, url string) Signal {
	t.Helper()
	body, ok := strings.CutPrefix(url, "tone_stream://")
	if !ok {
		t.Fatalf("%q: no tone_stream:// prefix", url)
	}
	var s Signal
	for el := range strings.SplitSeq(body, ";") {
		if el == "" {
			continue
		}
		inner, ok := strings.CutPrefix(el, "%(")
		if inner, ok = strings.CutSuffix(inner, ")"); !ok {
			t.Fatalf("%q: element %q", url, el)
		}
		f := strings.Split(inner, ",")
		on, err1 := strconv.Atoi(f[0])
		off, err2 := strconv.Atoi(f[1])
		hz, err3 := strconv.ParseFloat(f[2], 64)
		if len(f) != 3 || err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%q: element %q", url, el)
		}
		if hz == 0 {
			continue
		}
		s = append(s, Tone{hz, ms(on)}, Tone{0, ms(off)})
	}
	return s
}

// TestToneStreamPlays checks a tone_stream URL plays what the signal
// renders: the same tones at the same times.
func TestToneStreamPlays(t *testing.T) {
	for _, s := range []Signal{
		TestSignal(),
		{{0, ms(300)}, {500, ms(100)}, {0, ms(100)}, {0, ms(20)}, {700, ms(60)}},
		{{1000, ms(100)}, {0, ms(30)}, {1000, ms(100)}, {0, ms(30)}, {1500, ms(300)}, {0, ms(500)}},
	} {
		played := parseToneStream(t, s.ToneStream())
		a, b := s.Render(8000, -10).Channels[0], played.Render(8000, -10).Channels[0]
		if !slices.Equal(a, b) {
			t.Errorf("%v plays as %v", s, played)
		}
	}
}

// TestRender checks the rendered samples: length, level, fades, silence.
func TestRender(t *testing.T) {
	for _, rate := range []int{8000, 16000, 44100, 48000} {
		for _, db := range []float64{0, -10, -40} {
			c := TestSignal().Render(rate, db)
			x := c.Channels[0]
			if c.Rate != rate || len(c.Channels) != 1 || len(x) != rate*3/2 || c.Duration() != 1500*time.Millisecond {
				t.Fatalf("rate %d: %d samples, %v", rate, len(x), c.Duration())
			}
			peak := 0
			for _, v := range x {
				peak = max(peak, int(v), -int(v))
			}
			if want := 32767 * math.Pow(10, db/20); math.Abs(float64(peak)-want) > want*0.01+1 {
				t.Errorf("rate %d, %v dB: peak %d, want %.0f", rate, db, peak, want)
			}
			// Each tone: steady RMS in the middle, fades at the ends, then silence.
			for i := range 6 {
				start := i * rate / 4
				tn := x[start : start+rate/5]
				mid := tn[rate/50 : rate/5-rate/50]
				if l := LevelDBFS(mid); math.Abs(l-(db-3.0103)) > 0.05 {
					t.Errorf("rate %d, tone %d: level %.2f, want %.2f", rate, i, l, db-3.0103)
				}
				if tn[0] != 0 || math.Abs(float64(tn[1])) > 0.01*32767 || math.Abs(float64(tn[len(tn)-1])) > 0.01*32767 {
					t.Errorf("rate %d, tone %d: no fade: %d %d ... %d", rate, i, tn[0], tn[1], tn[len(tn)-1])
				}
				if p := Goertzel(mid, rate, TestSignal()[2*i].Hz); math.Abs(10*math.Log10(p)-db) > 0.1 {
					t.Errorf("rate %d, tone %d: Goertzel power %.3f, want %.3f", rate, i, p, math.Pow(10, db/10))
				}
				if slices.ContainsFunc(x[start+rate/5:start+rate/4], func(v int16) bool { return v != 0 }) {
					t.Errorf("rate %d: sound after tone %d", rate, i)
				}
			}
		}
	}
	if c := TestSignal().Render(0, -10); c.Rate != 0 || len(c.Channels) != 1 || len(c.Channels[0]) != 0 {
		t.Errorf("rate 0: %+v", c)
	}
	// Levels above full scale clip to it; NaN renders silence.
	if x := (Signal{{1000, ms(100)}}).Render(8000, 6).Channels[0]; slices.Max(x) != 32767 {
		t.Errorf("+6 dB peak %d", slices.Max(x))
	}
	if x := (Signal{{1000, ms(10)}}).Render(8000, math.NaN()).Channels[0]; slices.Max(x) != 0 {
		t.Errorf("NaN level peak %d", slices.Max(x))
	}
	// Element boundaries do not drift: 1000 elements of 1/3 ms.
	var s Signal
	for i := range 1000 {
		s = append(s, Tone{float64(i % 2 * 1000), time.Millisecond / 3})
	}
	if n := len(s.Render(48000, -10).Channels[0]); n != 16000 {
		t.Errorf("%d samples, want 16000", n)
	}
}
