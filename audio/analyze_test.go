package audio

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRoundTrip renders TestSignal, writes and reads it as WAV and checks
// that Analyze finds all of it, at the level it was rendered at.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     int
		db       float64
		stereo   bool
		channel  int
		wantTone float64 // dominant tone, one of the signal's
	}{
		{"8k", 8000, -10, false, 0, 0},
		{"16k", 16000, -10, false, 0, 0},
		{"48k", 48000, -20, false, 0, 0},
		{"8k-stereo-left", 8000, -10, true, 0, 0},
		{"8k-stereo-right", 8000, -10, true, 1, 0},
		{"16k-stereo-mixed", 16000, -6, true, -1, 0},
		{"quiet", 8000, -40, false, 0, 0},
		{"full-scale", 8000, 0, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := TestSignal().Render(tc.rate, tc.db)
			if tc.stereo {
				c.Channels = append(c.Channels, c.Channels[0])
			}
			var buf bytes.Buffer
			if err := EncodeWAV(&buf, c); err != nil {
				t.Fatal(err)
			}
			d, err := DecodeWAV(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			a := Analyze(d, Expect{Signal: TestSignal(), Channel: tc.channel})
			if !a.OK || !a.SequenceOK || a.Found != 6 || a.Expected != 6 || a.Dropouts != 0 || a.Silent {
				t.Fatalf("%+v", a)
			}
			if want := tc.db - 3.0103; math.Abs(a.LevelDBFS-want) > 0.5 {
				t.Errorf("level %.2f dBFS, rendered at %.2f dBFS RMS", a.LevelDBFS, want)
			}
			if a.Duration != 1500*time.Millisecond {
				t.Errorf("duration %v", a.Duration)
			}
			if a.LongestGap != 0 {
				t.Errorf("longest gap %v (the signal's own gaps are designed)", a.LongestGap)
			}
			ok := false
			for _, tn := range TestSignal() {
				ok = ok || tn.Hz > 0 && math.Abs(a.ToneHz-tn.Hz) <= 5
			}
			if !ok {
				t.Errorf("tone %.1f Hz is none of the signal's", a.ToneHz)
			}
			t.Logf("level %.2f dBFS, sound %v, tone %.1f Hz", a.LevelDBFS, a.SoundTime, a.ToneHz)
		})
	}
}

// TestSignalRobust checks the signal is found at any level from -40 to 0
// dBFS, with white noise 20 dB below it, starting at any offset, at the
// usual rates.
func TestSignalRobust(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		for _, db := range []float64{-40, -30, -20, -10, 0} {
			for _, lead := range []time.Duration{0, ms(3), ms(7), ms(250), ms(1013)} {
				x := cat(silence(rate, lead), TestSignal().Render(rate, db).Channels[0], silence(rate, ms(300)))
				x = addNoise(x, db-3.01-20, uint64(rate)+uint64(lead))
				a := Analyze(mono(rate, x), Expect{Signal: TestSignal()})
				if !a.OK || a.Found != 6 {
					t.Errorf("rate %d, level %v, lead %v: %+v", rate, db, lead, a)
				}
			}
		}
	}
}

// TestSteadyTone checks TonePlay's case: a 1004 Hz tone expected throughout.
func TestSteadyTone(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		for _, db := range []float64{-40, -10, 0} {
			x := tone(rate, 1004, 2*time.Second, db)
			a := Analyze(mono(rate, x), Expect{})
			if !a.OK || math.Abs(a.ToneHz-1004) > 5 {
				t.Errorf("rate %d, %v dB, no expectation: %+v", rate, db, a)
			}
			a = Analyze(mono(rate, x), Expect{Freq: 1004})
			if !a.OK || math.Abs(a.ToneHz-1004) > 5 {
				t.Errorf("rate %d, %v dB: %+v", rate, db, a)
			}
			a = Analyze(mono(rate, x), Expect{Freq: 440})
			if a.OK || !strings.Contains(a.Reason, "1004") || !strings.Contains(a.Reason, "440") {
				t.Errorf("rate %d, %v dB, expecting 440 Hz: %+v", rate, db, a)
			}
		}
	}
	// Tones off the scan's 10 Hz grid, and with noise.
	for _, f := range []float64{333.3, 440, 1005, 1234.5, 2999, 3456} {
		x := addNoise(tone(8000, f, time.Second, -10), -33, 7)
		a := Analyze(mono(8000, x), Expect{})
		if math.Abs(a.ToneHz-f) > 5 {
			t.Errorf("%v Hz measured as %v", f, a.ToneHz)
		}
	}
	// A tone 30 Hz off still counts as the expected one, 60 Hz off not.
	if a := Analyze(mono(8000, tone(8000, 1034, time.Second, -10)), Expect{Freq: 1004}); !a.OK || math.Abs(a.ToneHz-1034) > 5 {
		t.Errorf("1034 Hz for 1004: %+v", a)
	}
	if a := Analyze(mono(8000, tone(8000, 1064, time.Second, -10)), Expect{Freq: 1004}); a.OK || a.Reason != "heard 1064 Hz, expected 1004 Hz" {
		t.Errorf("1064 Hz for 1004: %+v", a)
	}
	want := "heard 440 Hz, expected 1004 Hz"
	if a := Analyze(mono(8000, tone(8000, 440, 2*time.Second, -10)), Expect{Freq: 1004}); a.Reason != want {
		t.Errorf("reason %q, want %q", a.Reason, want)
	}
}

// TestDropouts cuts gaps into a steady tone.
func TestDropouts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rate    int
		gaps    []time.Duration // at 0.4, 0.9, 1.4 s
		maxGap  time.Duration
		want    int
		longest time.Duration // ±20 ms
		reason  string
	}{
		{"3x100ms", 8000, []time.Duration{ms(100), ms(100), ms(100)}, 0, 3, ms(100), "3 dropouts, longest 100 ms"},
		{"3x100ms-16k", 16000, []time.Duration{ms(100), ms(100), ms(100)}, 0, 3, ms(100), ""},
		{"3x100ms-48k", 48000, []time.Duration{ms(100), ms(100), ms(100)}, 0, 3, ms(100), ""},
		{"mixed", 8000, []time.Duration{ms(20), ms(120), ms(60)}, 0, 2, ms(120), "2 dropouts, longest 120 ms"},
		{"one", 8000, []time.Duration{ms(300)}, 0, 1, ms(300), "1 dropout of 300 ms"},
		{"3x20ms", 8000, []time.Duration{ms(20), ms(20), ms(20)}, ms(40), 0, ms(20), ""},
		{"3x35ms", 8000, []time.Duration{ms(35), ms(35), ms(35)}, ms(40), 0, ms(35), ""},
		{"3x100ms-allowed", 8000, []time.Duration{ms(100), ms(100), ms(100)}, ms(150), 0, ms(100), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tone(tc.rate, 1004, 2*time.Second, -10)
			for i, g := range tc.gaps {
				zero(x, tc.rate, ms(400+500*i)+ms(3), g)
			}
			a := Analyze(mono(tc.rate, x), Expect{Freq: 1004, MaxGap: tc.maxGap})
			if a.Dropouts != tc.want || (a.LongestGap-tc.longest).Abs() > ms(20) {
				t.Fatalf("%d dropouts, longest %v; want %d, ~%v", a.Dropouts, a.LongestGap, tc.want, tc.longest)
			}
			if a.OK != (tc.want == 0) || tc.reason != "" && a.Reason != tc.reason {
				t.Fatalf("OK %v, reason %q; want %q", a.OK, a.Reason, tc.reason)
			}
		})
	}
	// Lead-in and tail silence are not dropouts; a dropout in a signal is.
	x := cat(silence(8000, time.Second), TestSignal().Render(8000, -10).Channels[0], silence(8000, 2*time.Second))
	if a := Analyze(mono(8000, x), Expect{Signal: TestSignal()}); !a.OK {
		t.Errorf("lead-in and tail: %+v", a)
	}
	zero(x, 8000, time.Second+ms(260), ms(100)) // inside the 2nd tone
	if a := Analyze(mono(8000, x), Expect{Signal: TestSignal()}); a.OK || a.Dropouts != 1 || a.Reason != "1 dropout of 100 ms" {
		t.Errorf("dropout in a tone: %+v", a)
	}
}

// TestSilence checks silence and near-silence are reported as such.
func TestSilence(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []int16
	}{
		{"zeros", silence(8000, 2*time.Second)},
		{"noise-70", addNoise(silence(8000, 2*time.Second), -70, 1)},
		{"tone-60", tone(8000, 1004, time.Second, -57)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range []Expect{{}, {Freq: 1004}, {Signal: TestSignal()}} {
				a := Analyze(mono(8000, tc.x), e)
				if !a.Silent || a.OK || a.Reason != "silent" || a.SoundTime != 0 {
					t.Errorf("%+v: %+v", e, a)
				}
			}
		})
	}
	if a := Analyze(mono(8000, addNoise(silence(8000, time.Second), -70, 1)), Expect{}); math.Abs(a.LevelDBFS+70) > 0.5 {
		t.Errorf("level of silent noise %.1f, want -70", a.LevelDBFS)
	}
	// A lower MinLevelDBFS hears the quiet tone.
	if a := Analyze(mono(8000, tone(8000, 1004, time.Second, -57)), Expect{MinLevelDBFS: -70, Freq: 1004}); !a.OK {
		t.Errorf("quiet tone at -70 dBFS floor: %+v", a)
	}
}

// modified returns TestSignal with f applied to a copy.
func modified(f func(Signal) Signal) Signal {
	return f(TestSignal())
}

// TestSequence checks missing, swapped, repeated and extra tones.
func TestSequence(t *testing.T) {
	rate := 8000
	render := func(s Signal) []int16 { return s.Render(rate, -10).Channels[0] }
	one := render(TestSignal())
	for _, tc := range []struct {
		name    string
		x       []int16
		ok, seq bool
		found   int
		exp     int
		reason  string
	}{
		{"once", one, true, true, 6, 6, ""},
		{"3 times", cat(one, one, one), true, true, 18, 18, ""},
		{"3 times with pauses", cat(one, silence(rate, ms(30)), one, silence(rate, ms(30)), one), true, true, 18, 18, ""},
		{"3 times, paused too long", cat(one, silence(rate, ms(200)), one, one), false, true, 18, 18, "1 dropout of 2"},
		{"2.5 times", cat(one, one, one[:len(one)/2]), true, true, 15, 15, ""},
		{"from the middle", cat(one[len(one)/3:], one, one), true, true, 16, 16, ""},
		{"from mid-tone", cat(one[rate*3/20:], one), true, true, 11, 11, ""},
		{"first tone silent", render(modified(func(s Signal) Signal { s[0].Hz = 0; return s })), false, false, 5, 6, "tone 560 Hz missing"},
		{"third tone silent", render(modified(func(s Signal) Signal { s[4].Hz = 0; return s })), false, false, 5, 6, "tone 1850 Hz missing"},
		{"third tone removed", render(modified(func(s Signal) Signal { return append(s[:4], s[6:]...) })), false, false, 5, 6, "tone 1850 Hz missing"},
		{"last tone removed", render(TestSignal()[:10]), false, false, 5, 6, "tone 3300 Hz missing"},
		{"tone missing in a repeat", cat(one, render(modified(func(s Signal) Signal { s[6].Hz = 0; return s })), one), false, false, 17, 18, "tone 2350 Hz missing"},
		{"two missing", render(modified(func(s Signal) Signal { s[2].Hz, s[8].Hz = 0, 0; return s })), false, false, 4, 6, "2 tones missing (1100, 2900 Hz)"},
		{"swapped", render(modified(func(s Signal) Signal { s[2], s[4] = s[4], s[2]; return s })), false, false, 5, 6, "out of order"},
		{"reversed", render(modified(func(s Signal) Signal {
			for i, j := 0, len(s)-2; i < j; i, j = i+2, j-2 {
				s[i], s[j] = s[j], s[i]
			}
			return s
		})), false, false, 0, 0, ""},
		{"extra tone", cat(one, silence(rate, ms(20)), tone(rate, 440, ms(200), -10), one), false, false, 12, 12, "unexpected 440 Hz tone at 1.52 s"},
		{"extra signal tone", cat(one[:len(one)/2], tone(rate, 560, ms(200), -10), one[len(one)/2:]), false, false, 6, 6, "unexpected 560 Hz tone at 0.75 s"},
		{"other sound", cat(one, addNoise(silence(rate, ms(300)), -15, 3), one), false, false, 12, 12, "unexpected sound at 1.50 s"},
		{"quiet noise between", cat(one, addNoise(silence(rate, ms(300)), -40, 3), one), true, true, 12, 12, ""},
		{"short tones", render(modified(func(s Signal) Signal { s[2].Dur, s[3].Dur = ms(90), ms(60); return s })), false, false, 5, 6, "tone 1100 Hz too short (90 ms)"},
		{"steady tone instead", tone(rate, 1004, 2*time.Second, -10), false, false, 0, 6, "signal not heard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Analyze(mono(rate, tc.x), Expect{Signal: TestSignal()})
			if a.OK != tc.ok || a.SequenceOK != tc.seq || tc.exp > 0 && (a.Found != tc.found || a.Expected != tc.exp) || !strings.Contains(a.Reason, tc.reason) {
				t.Fatalf("got %+v\nwant OK %v, SequenceOK %v, Found %d/%d, reason %q", a, tc.ok, tc.seq, tc.found, tc.exp, tc.reason)
			}
			t.Logf("%d/%d %q", a.Found, a.Expected, a.Reason)
		})
	}
}

// TestSignalShapes checks signals other than TestSignal: one repeated
// frequency, a single tone looped, leading silence.
func TestSignalShapes(t *testing.T) {
	beeps := Signal{{1000, ms(100)}, {0, ms(30)}, {1000, ms(100)}, {0, ms(30)}, {1500, ms(300)}, {0, ms(500)}}
	x := beeps.Render(8000, -10).Channels[0]
	if a := Analyze(mono(8000, cat(x, x)), Expect{Signal: beeps}); !a.OK || a.Found != 6 {
		t.Errorf("beeps: %+v", a)
	}
	if a := Analyze(mono(8000, x[:len(x)-8000*830/1000]), Expect{Signal: beeps}); a.OK || a.Found != 2 || a.Reason != "tone 1500 Hz missing" {
		t.Errorf("beeps without the long one: %+v", a)
	}
	// A blip of noise in the 500 ms pause leaves two gaps that together
	// are the designed pause; made longer, the second is a dropout.
	blip := slices.Clone(x)
	copy(blip[len(x)-8000*3/10:], addNoise(silence(8000, ms(20)), -40, 3))
	if a := Analyze(mono(8000, cat(blip, x)), Expect{Signal: beeps}); !a.OK || a.LongestGap != 0 {
		t.Errorf("pause split by noise: %+v", a)
	}
	if a := Analyze(mono(8000, cat(blip, silence(8000, ms(150)), x)), Expect{Signal: beeps}); a.OK || !strings.HasPrefix(a.Reason, "1 dropout of 43") {
		t.Errorf("split pause too long: %+v", a)
	}
	loop := Signal{{1004, ms(500)}}
	if a := Analyze(mono(8000, tone(8000, 1004, 2*time.Second, -10)), Expect{Signal: loop}); !a.OK || a.Found != 4 {
		t.Errorf("looped tone: %+v", a)
	}
	lead := append(Signal{{0, ms(400)}}, TestSignal()...)
	if a := Analyze(mono(8000, lead.Render(8000, -10).Channels[0]), Expect{Signal: lead}); !a.OK {
		t.Errorf("leading silence: %+v", a)
	}
}

// TestAnalyzeEdges checks clips Analyze cannot analyse fully.
func TestAnalyzeEdges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      *Clip
		e      Expect
		reason string
	}{
		{"nil", nil, Expect{}, "empty"},
		{"no samples", mono(8000, nil), Expect{}, "empty"},
		{"no channels", &Clip{Rate: 8000}, Expect{}, "no channel 0 (clip has 0)"},
		{"channel 1 of mono", mono(8000, tone(8000, 440, time.Second, -10)), Expect{Channel: 1}, "no channel 1 (clip has 1)"},
		{"channel -2", mono(8000, tone(8000, 440, time.Second, -10)), Expect{Channel: -2}, "no channel -2 (clip has 1)"},
		{"rate 0", mono(0, tone(8000, 440, time.Second, -10)), Expect{}, "invalid sample rate 0"},
		{"3 samples", mono(8000, []int16{1000, -1000, 1000}), Expect{}, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := Analyze(tc.c, tc.e); a.OK || a.Reason != tc.reason {
				t.Errorf("%+v, want reason %q", a, tc.reason)
			}
		})
	}
	// Odd rates and tiny clips do not panic.
	for _, rate := range []int{1, 7, 99, 150, 11025, 22050, 44100, 96000} {
		c := TestSignal().Render(rate, -10)
		_ = Analyze(c, Expect{Signal: TestSignal(), Freq: 1004})
		_ = Analyze(mono(rate, []int16{5}), Expect{Signal: TestSignal()})
	}
	if a := Analyze(TestSignal().Render(11025, -10), Expect{Signal: TestSignal()}); !a.OK {
		t.Errorf("11025 Hz: %+v", a)
	}
	if a := Analyze(TestSignal().Render(44100, -10), Expect{Signal: TestSignal()}); !a.OK {
		t.Errorf("44100 Hz: %+v", a)
	}
	// Stereo with the signal on one side only.
	c := TestSignal().Render(8000, -10)
	c.Channels = append(c.Channels, make([]int16, len(c.Channels[0])))
	if a := Analyze(c, Expect{Signal: TestSignal(), Channel: 1}); !a.Silent {
		t.Errorf("silent right channel: %+v", a)
	}
	if a := Analyze(c, Expect{Signal: TestSignal(), Channel: -1}); !a.OK || math.Abs(a.LevelDBFS-(-10-3.01-6.02)) > 0.5 {
		t.Errorf("mixed: %+v", a)
	}
}

// BenchmarkAnalyze analyses a 10 s 8 kHz recording of TestSignal looped,
// with noise, against the Signal; it reports ns per second of audio.
func BenchmarkAnalyze(b *testing.B) {
	const rate = 8000
	one := TestSignal().Render(rate, -10).Channels[0]
	var x []int16
	for len(x) < 10*rate {
		x = append(x, one...)
	}
	x = addNoise(x[:10*rate], -33, 1)
	c := mono(rate, x)
	e := Expect{Signal: TestSignal()}
	if a := Analyze(c, e); !a.OK {
		b.Fatalf("%+v", a)
	}
	b.ReportAllocs()
	for b.Loop() {
		Analyze(c, e)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/c.Duration().Seconds(), "ns/audio-s")
}

// hardEdged renders s like libteletone does: no fades, the sine switched
// on and off abruptly.
func hardEdged(s Signal, rate int, db float64) []int16 {
	var x []int16
	for _, tn := range s {
		n := int(math.Round(tn.Dur.Seconds() * float64(rate)))
		for i := range n {
			v := 0.0
			if tn.Hz > 0 {
				v = 32767 * math.Pow(10, db/20) * math.Sin(2*math.Pi*tn.Hz*float64(i)/float64(rate))
			}
			x = append(x, int16(math.Round(v)))
		}
	}
	return x
}

// companded passes x through a G.711 codec (the nearest code of table).
func companded(x []int16, table *[256]int16) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		best := 0
		for c := range table {
			if math.Abs(float64(table[c])-float64(v)) < math.Abs(float64(table[best])-float64(v)) {
				best = c
			}
		}
		out[i] = table[best]
	}
	return out
}

// TestTelephonyPath checks recordings as a call produces them: the clip
// looped by tone_stream with hard edges, through G.711, recorded from an
// arbitrary point, with lost 20 ms packets.
func TestTelephonyPath(t *testing.T) {
	const rate = 8000
	var looped []int16
	for range 4 {
		looped = append(looped, hardEdged(TestSignal(), rate, -12)...)
	}
	for _, tc := range []struct {
		name  string
		table *[256]int16
		from  time.Duration // where the recording starts in the looped play
		lost  []int         // lost 20 ms packets, by number from the recording's start
		ok    bool
		drops int
	}{
		{"mu-law", &muLawTable, 0, nil, true, 0},
		{"A-law from 0.37 s", &aLawTable, ms(370), nil, true, 0},
		{"mu-law from 1.111 s", &muLawTable, ms(1111), nil, true, 0},
		{"one packet lost", &muLawTable, ms(100), []int{9}, true, 0},
		{"two in a pause lost", &muLawTable, ms(100), []int{30, 31}, true, 0},
		{"two in a row lost", &muLawTable, ms(100), []int{9, 10}, true, 0},
		{"three in a row lost", &muLawTable, ms(100), []int{8, 9, 10}, false, 1},
		{"scattered losses", &aLawTable, ms(100), []int{5, 40, 41, 90, 150, 151}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := companded(looped[int(tc.from.Seconds()*rate):], tc.table)
			for _, p := range tc.lost {
				zero(x, rate, time.Duration(p)*ms(20), ms(20))
			}
			a := Analyze(mono(rate, x), Expect{Signal: TestSignal()})
			if a.OK != tc.ok || a.Dropouts != tc.drops || tc.lost == nil && (!a.SequenceOK || a.Found != a.Expected || a.Found < 18) {
				t.Fatalf("%+v", a)
			}
			t.Logf("%d/%d, %.1f dBFS, longest gap %v %q", a.Found, a.Expected, a.LevelDBFS, a.LongestGap, a.Reason)
		})
	}
}

// TestPause checks a leg that hears every other play of a clip (legs
// taking turns): the pause of its own play between the passes it hears is
// designed with Expect.Pause, not without; a dropout inside a tone, or a
// whole pass missing, is still found.
func TestPause(t *testing.T) {
	const rate = 8000
	clip := TestSignal().Render(rate, -10).Channels[0]
	own := TestSignal().Duration() + ms(40) // its own play and a hand-over
	heard := func() []int16 {
		return cat(silence(rate, ms(300)), clip, silence(rate, own), clip, silence(rate, own), clip, silence(rate, ms(200)))
	}
	pause := Expect{Signal: TestSignal(), MaxGap: ms(150), Pause: TestSignal().Duration()}
	for _, tc := range []struct {
		name   string
		x      []int16
		e      Expect
		ok     bool
		reason string
	}{
		{"turns, with Pause", heard(), pause, true, ""},
		{"turns, without Pause", heard(), Expect{Signal: TestSignal(), MaxGap: ms(150)}, false, "2 dropouts"},
		{"dropout in a tone", func() []int16 {
			x := heard()
			zero(x, rate, ms(300)+TestSignal().Duration()+own+ms(560), ms(100))
			return x
		}(), Expect{Signal: TestSignal(), Pause: TestSignal().Duration() + ms(40)}, false, "tone 1850 Hz too short"},
		{"a pass missing", cat(silence(rate, ms(300)), clip, silence(rate, 3*own), clip), pause, false, "dropout"},
		{"pause too long", cat(silence(rate, ms(300)), clip, silence(rate, own+ms(300)), clip), pause, false, "1 dropout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Analyze(mono(rate, tc.x), tc.e)
			if a.OK != tc.ok || !strings.Contains(a.Reason, tc.reason) {
				t.Fatalf("OK %v, reason %q; want %v, %q (%+v)", a.OK, a.Reason, tc.ok, tc.reason, a)
			}
		})
	}
}
