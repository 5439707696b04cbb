package audio

import (
	"math"
	"math/rand/v2"
	"time"
)

// ms is shorthand for a duration in milliseconds.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// tone renders a single tone of hz for d at rate and peak level db.
func tone(rate int, hz float64, d time.Duration, db float64) []int16 {
	return Signal{{hz, d}}.Render(rate, db).Channels[0]
}

// silence returns d of zeros at rate.
func silence(rate int, d time.Duration) []int16 {
	return make([]int16, int(math.Round(d.Seconds()*float64(rate))))
}

// cat concatenates sample slices.
func cat(parts ...[]int16) []int16 {
	var out []int16
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// mono wraps samples in a mono clip.
func mono(rate int, x []int16) *Clip { return &Clip{Rate: rate, Channels: [][]int16{x}} }

// addNoise adds white noise at RMS level db (dBFS, LevelDBFS's convention)
// to a copy of x, from a fixed seed so tests repeat.
func addNoise(x []int16, db float64, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 1))
	sd := 32768 * math.Pow(10, db/20)
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(float64(v)+r.NormFloat64()*sd))))
	}
	return out
}

// zero overwrites d of x with zeros from offset at.
func zero(x []int16, rate int, at, d time.Duration) {
	a := int(at.Seconds() * float64(rate))
	b := min(len(x), a+int(d.Seconds()*float64(rate)))
	clear(x[a:b])
}
