package fsemu

// A recording is a media bug: FreeSWITCH copies each frame the channel
// reads into the bug's read buffer and each frame it writes into its write
// buffer, and the recorder takes frames out of both, one of each at a
// time, mixed (or side by side in stereo), whenever the channel reads
// (SWITCH_ABC_TYPE_READ_PING, record_callback in switch_ivr_async.c). The
// file is the sequence of frames taken out, not the wall clock: a stream
// that is behind the other stays behind for the whole recording. This file
// replays that frame by frame, so a recording of fsemu's has what
// FreeSWITCH's has, lags and all.
//
// The lag that matters is the pre-buffer. switch_ivr_record_session_event
// gives every recording's bug RECORD_PRE_BUFFER_FRAMES (default 25; 0 or
// less keeps 25) and switch_core_media_bug_read returns nothing for that
// many calls once either buffer holds data. A stream flowing then (what
// the leg hears from the start) piles up 25 frames, 500 ms, and in a
// recording of both directions it is read out one frame per tick
// afterwards, never catching up: a stream that starts later (the leg's
// own play) has no backlog and is mixed 500 ms ahead of it, and the
// backlog still buffered when the recording closes is dropped (the close
// drains only while both buffers hold data). A recording of one direction
// drains its backlog at once. Capture 21 shows it: the called leg's
// recording has its own plays mixed ~470 ms early over the end of the
// caller's, a silence as long after each, and is ~460 ms shorter than the
// caller's, whose own play started while the pre-buffer filled.

// defaultPreBuffer is switch_ivr_record_session_event's
// RECORD_PRE_BUFFER_FRAMES default.
const defaultPreBuffer = 25

// bugFrame is one frame a media bug's recorder took out: the index of
// the read and write frame mixed in it, -1 for a stream filled with
// silence (switch_core_media_bug_read's fill_read, fill_write).
type bugFrame struct{ read, write int }

// mediaBug is the state switch_core_media_bug_read keeps between calls,
// with the buffers as frame indices.
type mediaBug struct {
	hasRead, hasWrite bool
	preMax, preCount  int
	frameSize         bool // record_frame_size set: the first call done
	reads, writes     []int
}

// read is switch_core_media_bug_read with whole 20 ms frames: it returns
// the frame taken out, or false where FreeSWITCH returns
// SWITCH_STATUS_FALSE.
func (b *mediaBug) read(fill bool) (bugFrame, bool) {
	doRead, doWrite := 0, 0
	if b.hasRead {
		doRead = len(b.reads)
	}
	if b.hasWrite {
		doWrite = len(b.writes)
	}
	if b.frameSize && b.preMax > 0 && (doRead > 0 || doWrite > 0) && b.preCount < b.preMax {
		b.preCount++
		return bugFrame{}, false
	}
	b.frameSize = true
	if doWrite > doRead && doWrite > 2 {
		// The write stream ahead of the read by more than two frames
		// loses its oldest (switch_buffer_toss).
		b.writes = b.writes[1:]
		doWrite--
	}
	fillRead := b.hasRead && doRead == 0
	fillWrite := b.hasWrite && doWrite == 0
	if (fillRead && fillWrite) || (fill && (fillRead || fillWrite)) {
		return bugFrame{}, false
	}
	f := bugFrame{read: -1, write: -1}
	if doRead > 0 {
		f.read, b.reads = b.reads[0], b.reads[1:]
	}
	if doWrite > 0 {
		f.write, b.writes = b.writes[0], b.writes[1:]
	}
	return f, true
}

// recordFrames replays a recording over ticks 20 ms frames: at each tick
// the channel reads a frame (RTP, or silence when none came), the bug
// pings the recorder, which takes frames out until one call returns
// nothing (the first call fills a missing stream, the next ones do not),
// then the channel writes a frame if it sends anything then (writes).
// Ticks where skip is true are paused (SMBF_PAUSE: nothing buffered,
// nothing taken). At the close the recorder drains what both streams
// still hold. It returns the frames taken, in order, with the tick each
// was taken at (the close's at ticks).
func recordFrames(ticks int, read, write bool, pre int, writes, skip func(int) bool) (frames []bugFrame, at []int) {
	b := &mediaBug{hasRead: read, hasWrite: write, preMax: pre}
	for k := 0; k < ticks; k++ {
		if skip(k) {
			continue
		}
		if read {
			b.reads = append(b.reads, k)
		}
		for i := 0; ; i++ {
			f, ok := b.read(i > 0)
			if !ok {
				break
			}
			frames, at = append(frames, f), append(at, k)
		}
		if write && writes(k) {
			b.writes = append(b.writes, k)
		}
	}
	for {
		f, ok := b.read(true)
		if !ok {
			break
		}
		frames, at = append(frames, f), append(at, ticks)
	}
	return frames, at
}

// fillSample is what switch_core_media_bug_read fills a missing stream
// with (memset 255: -1 in 16-bit samples).
const fillSample = -1

// inSpans reports whether t (µs) is in one of spans (an open one ends
// at end).
func inSpans(spans []span, t, end int64) bool {
	for _, sp := range spans {
		to := sp.to
		if to == 0 {
			to = end
		}
		if sp.from <= t && t < to {
			return true
		}
	}
	return false
}

// writesAt reports whether the channel writes a frame at t (µs): while
// it plays, is bridged, echoes or runs bert_test.
func (ch *channel) writesAt(t int64) bool {
	for _, seg := range ch.media.sent {
		if seg.start <= t && (seg.end == 0 || t < seg.end) {
			return true
		}
	}
	if ch.bridged != nil && ch.bridgedAt != 0 && t >= ch.bridgedAt {
		return true
	}
	for _, e := range ch.media.echo {
		if e.from <= t && (e.to == 0 || t < e.to) {
			return true
		}
	}
	return ch.media.bertFrom != 0 && t >= ch.media.bertFrom
}
