package audio

import "math"

// FloorDBFS is the lowest level LevelDBFS and Analysis report: silence
// (whose level is -Inf) is clamped to it so levels stay finite numbers
// that can be compared, printed and stored.
const FloorDBFS = -120.0

// fullScale is the magnitude of the most negative 16-bit sample; dBFS
// levels are relative to it.
const fullScale = 32768.0

// Goertzel returns the power of freq Hz in samples (taken at rate Hz): the
// squared magnitude of one DFT bin centred exactly on freq (any frequency,
// not only bin centres), normalised by 4/N²/32768² so that a full-scale sine
// at freq gives about 1.0 whatever the number of samples N. A tone's level
// in the convention of LevelDBFS is then 10·log10(power) - 3.01 dB.
//
// Goertzel is the cheap way to measure a few known frequencies: O(N) per
// frequency, against O(N log N) for a whole spectrum. Its frequency
// resolution is about rate/N Hz: a tone that far from freq is not counted.
// When samples hold only a few cycles of the tone, the tone's mirror image
// at -freq leaks in, moving the result by up to 1/(π·cycles).
func Goertzel(samples []int16, rate int, freq float64) float64 {
	if len(samples) == 0 || rate <= 0 {
		return 0
	}
	n := float64(len(samples))
	return goertzel(samples, coeff(freq, rate)) * 4 / (n * n * fullScale * fullScale)
}

// coeff is the Goertzel recurrence coefficient 2·cos(ω) of freq at rate.
func coeff(freq float64, rate int) float64 {
	return 2 * math.Cos(2*math.Pi*freq/float64(rate))
}

// goertzel returns the unnormalised squared magnitude |X(ω)|² of samples
// at the frequency whose coefficient is c.
func goertzel(samples []int16, c float64) float64 {
	var s1, s2 float64
	for _, x := range samples {
		s1, s2 = float64(x)+c*s1-s2, s1
	}
	return max(s1*s1+s2*s2-c*s1*s2, 0)
}

// goertzelF is goertzel over samples already converted to float64, so that
// several frequencies of one frame share the conversion.
func goertzelF(samples []float64, c float64) float64 {
	var s1, s2 float64
	for _, x := range samples {
		s1, s2 = x+c*s1-s2, s1
	}
	return max(s1*s1+s2*s2-c*s1*s2, 0)
}

// goertzelF2 is goertzelF at two frequencies in one pass: the two
// recurrences are independent, so the processor runs them side by side
// (each alone waits on its own previous step).
func goertzelF2(samples []float64, c, d float64) (p, q float64) {
	var s1, s2, t1, t2 float64
	for _, x := range samples {
		s1, s2 = x+c*s1-s2, s1
		t1, t2 = x+d*t1-t2, t1
	}
	return max(s1*s1+s2*s2-c*s1*s2, 0), max(t1*t1+t2*t2-d*t1*t2, 0)
}

// LevelDBFS returns the RMS level of samples in dBFS, relative to a
// full-scale square wave: a full-scale sine is -3.01 dBFS. Silence (or no
// samples) gives FloorDBFS, and so does anything quieter.
func LevelDBFS(samples []int16) float64 {
	var sum float64
	for _, x := range samples {
		f := float64(x)
		sum += f * f
	}
	if len(samples) == 0 {
		return FloorDBFS
	}
	return msDBFS(sum / float64(len(samples)))
}

// msDBFS converts a mean square sample value to dBFS, clamped to FloorDBFS.
func msDBFS(ms float64) float64 {
	if !(ms > 0) {
		return FloorDBFS
	}
	return max(10*math.Log10(ms/(fullScale*fullScale)), FloorDBFS)
}

// dbfsMS converts a dBFS level to the mean square sample value it stands for.
func dbfsMS(db float64) float64 {
	return fullScale * fullScale * math.Pow(10, db/10)
}
