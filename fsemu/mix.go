package fsemu

import (
	"math"
)

// mixSample mixes a read and a write sample as switch_core_media_bug_read
// does: their sum, with half of each added again when it overflows, then
// clamped to 16 bits.
func mixSample(r, w int16) int16 {
	z := int32(r) + int32(w)
	if z > math.MaxInt16 || z < math.MinInt16 {
		if r != 0 {
			z += int32(r) / 2
		}
		if w != 0 {
			z += int32(w) / 2
		}
	}
	return clamp16(z)
}

func clamp16(z int32) int16 {
	return int16(min(max(z, math.MinInt16), math.MaxInt16))
}

// addSat adds src into dst, saturating at 16 bits.
func addSat(dst, src []int16) {
	for i, v := range src {
		if v != 0 {
			dst[i] = clamp16(int32(dst[i]) + int32(v))
		}
	}
}

// sampleAt is the index of the sample at time t (µs) in a buffer of n
// samples starting at start, clamped to [0, n].
func sampleAt(t, start int64, n int) int {
	i := (t - start) * sampleRate / 1e6
	return int(min(max(i, 0), int64(n)))
}

// maxHops bounds how many channels audio is followed through (peer,
// bridge, peer ...) when a recording is rendered.
const maxHops = 8

// renderPlayed adds to buf (sample 0 at start) what c played until end.
func (c *channel) renderPlayed(buf []int16, start, end int64) {
	n := len(buf)
	for _, seg := range c.media.sent {
		segEnd := seg.end
		if segEnd == 0 {
			segEnd = end
		}
		if segEnd <= start || seg.start >= end {
			continue
		}
		from := int((seg.start - start) * sampleRate / 1e6)
		off := seg.skip
		if from < 0 {
			off += -from
			from = 0
		}
		to := min(int((segEnd-start)*sampleRate/1e6), n)
		if to > from {
			seg.spec.render(buf[from:to], off)
		}
	}
}

// renderSent adds to buf (sample 0 at start, until end) what c sends: its
// own playback, while bridged what its partner hears, while it runs echo
// what it hears itself (sent straight back), after c's uuid_audio write
// effects. Only the effects of an audio bug numbered
// below before apply: a channel's own recording gets its write stream
// before the replacing bugs added after it
// (switch_core_session_write_frame runs the bugs in order); the far end
// gets everything (before is the maximum).
func (c *channel) renderSent(buf []int16, start, end int64, before uint64, hops int) {
	if hops > maxHops {
		return
	}
	tmp := make([]int16, len(buf))
	c.renderPlayed(tmp, start, end)
	if b := c.bridged; b != nil && c.bridgedAt < end {
		from := sampleAt(c.bridgedAt, start, len(buf))
		b.renderHeard(tmp[from:], start+int64(from)*1e6/sampleRate, end, hops+1)
	}
	for _, e := range c.media.echo {
		to := e.to
		if to == 0 {
			to = end
		}
		from, until := sampleAt(e.from, start, len(buf)), sampleAt(to, start, len(buf))
		if until > from {
			c.renderHeard(tmp[from:until], start+int64(from)*1e6/sampleRate, min(to, end), hops+1)
		}
	}
	c.applyFX(tmp, start, false, before)
	addSat(buf, tmp)
}

// renderHeard adds to buf (sample 0 at start, until end) what c receives:
// what its far end sends, less the loss and mute of c's server's
// impairments, after c's uuid_audio read effects (a read-replacing bug
// runs before any read stream is taken, switch_core_session_read_frame).
func (c *channel) renderHeard(buf []int16, start, end int64, hops int) {
	if hops > maxHops {
		return
	}
	far := c.peer
	if far == nil {
		far = c.media.rtpPeer // the dialog ended; its audio is kept
	}
	if far == nil {
		return
	}
	tmp := make([]int16, len(buf))
	far.renderSent(tmp, start, end, math.MaxUint64, hops+1)
	for _, sp := range c.lostSpans(start, end) {
		clear(tmp[sampleAt(sp.from, start, len(tmp)):sampleAt(sp.to, start, len(tmp))])
	}
	c.applyFX(tmp, start, true, math.MaxUint64)
	addSat(buf, tmp)
}

// applyFX applies c's uuid_audio effects on one direction to buf (sample
// 0 at start), as session_audio_callback does: a mute of 1 (or below 0)
// zeroes the audio, a larger one replaces it with
// switch_generate_sln_silence's comfort noise of that divisor; otherwise
// a level changes the volume (switch_change_sln_volume).
func (c *channel) applyFX(buf []int16, start int64, read bool, before uint64) {
	end := start + int64(len(buf))*1e6/sampleRate
	for _, sp := range c.media.fx {
		if sp.bug >= before {
			continue
		}
		to := sp.to
		if to == 0 {
			to = end
		}
		lo, hi := sampleAt(sp.from, start, len(buf)), sampleAt(to, start, len(buf))
		if hi <= lo {
			continue
		}
		mute, level := sp.fx.writeMute, sp.fx.writeLevel
		if read {
			mute, level = sp.fx.readMute, sp.fx.readLevel
		}
		switch {
		case mute > 1:
			comfortNoise(buf[lo:hi], start+int64(lo)*1e6/sampleRate, mute)
		case mute != 0:
			clear(buf[lo:hi])
		case level != 0:
			changeVolume(buf[lo:hi], level)
		}
	}
}

// comfortNoise fills buf (its first sample at time t µs) as
// switch_generate_sln_silence (switch_resample.c) fills each 20 ms frame:
// a 16-bit linear congruential generator, six steps summed per sample,
// divided by divisor. FreeSWITCH seeds it with the time and a pointer;
// here it is the frame's time, so a run repeats.
func comfortNoise(buf []int16, t int64, divisor int) {
	frame := int64(-1)
	var rnd int16
	for i := range buf {
		if f := (t + int64(i)*1e6/sampleRate) / rtpPacketUS; f != frame {
			frame, rnd = f, int16(f*rtpPacketUS)
		}
		sum := 0
		for x := 0; x < 6; x++ {
			rnd = int16(uint32(int32(rnd))*31821 + 13849)
			sum += int(rnd)
		}
		buf[i] = int16(int(int16(sum)) / divisor)
	}
}

// changeVolume is switch_change_sln_volume: levels 1..4 multiply by 1.3,
// 2.3, 3.3, 4.3 and -1..-4 by 0.8, 0.6, 0.4, 0.2 (clamped to 4 steps).
func changeVolume(buf []int16, level int) {
	pos := [4]float64{1.3, 2.3, 3.3, 4.3}
	neg := [4]float64{.80, .60, .40, .20}
	level = min(max(level, -4), 4)
	rate := pos[max(level, 1)-1]
	if level < 0 {
		rate = neg[-level-1]
	}
	for i, v := range buf {
		buf[i] = clamp16(int32(float64(v) * rate))
	}
}
