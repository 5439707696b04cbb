package audio

import (
	"math"
	"slices"
	"testing"
	"time"
)

// sine returns n samples of a sine of hz at rate with peak amplitude amp.
func sine(rate int, hz, amp float64, n int) []int16 {
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(math.Round(amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)+0.3)))
	}
	return x
}

// TestGoertzel checks the normalisation: a full-scale sine gives ~1.0 at
// its frequency, whatever the rate and length, and little elsewhere.
func TestGoertzel(t *testing.T) {
	for _, tc := range []struct {
		rate int
		hz   float64
		n    int
	}{
		{8000, 1004, 80}, {8000, 560, 80}, {8000, 3300, 160}, {16000, 1004, 160},
		{48000, 1850, 480}, {44100, 440, 441}, {8000, 1234.5, 8000}, {8000, 300, 2000},
	} {
		// The tone's mirror image at -hz leaks in, by up to 1/(π·cycles)
		// of the power when the block holds few cycles.
		tol := 0.005 + float64(tc.rate)/(math.Pi*tc.hz*float64(tc.n))
		x := sine(tc.rate, tc.hz, 32767, tc.n)
		if p := Goertzel(x, tc.rate, tc.hz); math.Abs(p-1) > tol {
			t.Errorf("%+v: full scale gives %.4f", tc, p)
		}
		half := sine(tc.rate, tc.hz, 32767/2, tc.n)
		if p := Goertzel(half, tc.rate, tc.hz); math.Abs(p-0.25) > tol/4 {
			t.Errorf("%+v: half scale gives %.4f", tc, p)
		}
		// 5 bins away: far outside the main lobe.
		if p := Goertzel(x, tc.rate, tc.hz+5*float64(tc.rate)/float64(tc.n)); p > 0.01 {
			t.Errorf("%+v: 5 bins away gives %.4f", tc, p)
		}
		// Goertzel's level agrees with LevelDBFS for a pure tone.
		if d := 10*math.Log10(Goertzel(half, tc.rate, tc.hz)) - 3.0103 - LevelDBFS(half); math.Abs(d) > 10*math.Log10(1+tol) {
			t.Errorf("%+v: Goertzel and LevelDBFS differ by %.2f dB", tc, d)
		}
	}
	for _, tc := range []struct {
		x    []int16
		rate int
	}{{nil, 8000}, {[]int16{}, 8000}, {make([]int16, 80), 8000}, {sine(8000, 1000, 1000, 80), 0}} {
		if p := Goertzel(tc.x, tc.rate, 1000); p != 0 {
			t.Errorf("%v samples at %d Hz: %v", len(tc.x), tc.rate, p)
		}
	}
	// The paired form agrees with the single one.
	f := make([]float64, 80)
	for i, v := range sine(8000, 1100, 20000, 80) {
		f[i] = float64(v)
	}
	c, d := coeff(1100, 8000), coeff(1850, 8000)
	if p, q := goertzelF2(f, c, d); p != goertzelF(f, c) || q != goertzelF(f, d) {
		t.Errorf("goertzelF2 %v %v, goertzelF %v %v", p, q, goertzelF(f, c), goertzelF(f, d))
	}
}

// TestLevelDBFS checks the level convention and the floor.
func TestLevelDBFS(t *testing.T) {
	square := make([]int16, 800)
	for i := range square {
		square[i] = 32767
		if i%2 == 1 {
			square[i] = -32767
		}
	}
	for _, tc := range []struct {
		name string
		x    []int16
		want float64
	}{
		{"full-scale sine", sine(8000, 1004, 32767, 8000), -3.01},
		{"-20 dB sine", sine(8000, 1004, 3276.7, 8000), -23.01},
		{"full-scale square", square, 0},
		{"1 LSB", slices.Repeat([]int16{1}, 100), -90.31},
		{"silence", make([]int16, 100), FloorDBFS},
		{"empty", nil, FloorDBFS},
	} {
		if got := LevelDBFS(tc.x); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("%s: %.3f dBFS, want %.2f", tc.name, got, tc.want)
		}
	}
}

// TestClip checks Duration and Mono.
func TestClip(t *testing.T) {
	c := &Clip{Rate: 8000, Channels: [][]int16{{100, -100, 7, 1}, {300, 100, -8}}}
	if d := c.Duration(); d != 500*time.Microsecond {
		t.Errorf("duration %v", d)
	}
	if m := c.Mono(); !slices.Equal(m, []int16{200, 0, 0}) {
		t.Errorf("mono %v", m)
	}
	one := &Clip{Rate: 8000, Channels: [][]int16{{1, 2}}}
	if m := one.Mono(); &m[0] != &one.Channels[0][0] {
		t.Error("mono of mono is a copy")
	}
	for _, c := range []*Clip{nil, {}, {Rate: 8000}, {Rate: -1, Channels: [][]int16{{1}}}} {
		if c.Duration() != 0 {
			t.Errorf("%+v: %v", c, c.Duration())
		}
	}
	for _, c := range []*Clip{nil, {}, {Rate: 8000}} {
		if c.Mono() != nil {
			t.Errorf("%+v: mono %v", c, c.Mono())
		}
	}
	if d := (&Clip{Rate: 3, Channels: [][]int16{make([]int16, 10)}}).Duration(); d != 3333333333 {
		t.Errorf("10 samples at 3 Hz: %v", d)
	}
	if d := (&Clip{Rate: 48000, Channels: [][]int16{make([]int16, 48000*3600*5)}}).Duration(); d != 5*time.Hour {
		t.Errorf("5 h: %v", d)
	}
}
