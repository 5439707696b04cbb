// Package audio checks call recordings: did the expected audio arrive, at
// what level, with dropouts or not.
//
// It decodes WAV files (16-bit and 8-bit PCM, G.711 mu-law and A-law, mono
// or stereo), renders known test signals (sequences of tones, also as
// FreeSWITCH tone_stream URLs) and analyses a recording in 10 ms frames:
// sound or silence by RMS level, gaps between sounds, and which expected
// tones each frame holds (Goertzel power at the tone as a share of the
// frame's power).
//
// It uses the standard library only and imports nothing from switchio, so
// any of its packages can use it.
package audio

import "time"

// Clip is decoded PCM audio: 16-bit samples per channel at Rate Hz. It is
// what DecodeWAV returns and what Analyze and EncodeWAV take.
type Clip struct {
	Rate     int       // samples per second per channel
	Channels [][]int16 // one slice per channel (mono: 1), all of one length
}

// Duration returns how long the clip plays: the length of its first
// channel at Rate (0 without a channel or a positive Rate).
func (c *Clip) Duration() time.Duration {
	if c == nil || c.Rate <= 0 || len(c.Channels) == 0 {
		return 0
	}
	return samplesDur(len(c.Channels[0]), c.Rate)
}

// Mono returns the clip as one channel so that a stereo recording can be
// analysed as a whole: the mean of the channels sample by sample (as long
// as the shortest channel), or channel 0 itself, not a copy, when the clip
// is mono.
func (c *Clip) Mono() []int16 {
	if c == nil || len(c.Channels) == 0 {
		return nil
	}
	if len(c.Channels) == 1 {
		return c.Channels[0]
	}
	n := len(c.Channels[0])
	for _, ch := range c.Channels[1:] {
		n = min(n, len(ch))
	}
	out := make([]int16, n)
	k := len(c.Channels)
	for i := range out {
		sum := 0
		for _, ch := range c.Channels {
			sum += int(ch[i])
		}
		out[i] = int16(sum / k)
	}
	return out
}

// samplesDur returns the duration of n samples at rate Hz (rate > 0)
// without overflowing for long clips.
func samplesDur(n, rate int) time.Duration {
	r := int64(rate)
	return time.Duration(int64(n)/r)*time.Second + time.Duration(int64(n)%r*int64(time.Second)/r)
}
