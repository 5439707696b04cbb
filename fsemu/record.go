package fsemu

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// recording is a running record_session / uuid_record.
type recording struct {
	path  string
	start int64 // µs
	limit time.Duration
	vars  []wire.Header // recording variables ({...})
	bug   uint64        // the media bug's number among the channel's
	// read and write are the streams recorded (RECORD_READ_ONLY,
	// RECORD_WRITE_ONLY); stereo puts them on two channels, read left
	// unless swap (RECORD_STEREO, RECORD_STEREO_SWAP).
	read, write, stereo, swap bool
	// preBuffer is RECORD_PRE_BUFFER_FRAMES (mediabug.go).
	preBuffer int
	// masked and paused are the spans of uuid_record mask (silence written)
	// and pause (nothing written); an open one ends at 0.
	masked, paused []span
}

// toggle applies uuid_record mask, unmask, pause or resume at now (µs).
func (r *recording) toggle(op string, now int64) {
	list := &r.masked
	if op == "pause" || op == "resume" {
		list = &r.paused
	}
	n := len(*list)
	open := n > 0 && (*list)[n-1].to == 0
	switch op {
	case "mask", "pause":
		if !open {
			*list = append(*list, span{from: now})
		}
	default:
		if open {
			(*list)[n-1].to = now
		}
	}
}

// startRecord starts recording the channel (switch_ivr_record_session_event)
// to path, for at most limit (0: until stopped), with the recording
// variables vars ({...} of record_session or uuid_record). The
// RECORD_READ_ONLY, RECORD_WRITE_ONLY, RECORD_STEREO and
// RECORD_STEREO_SWAP options are read from vars, else from the channel's
// variables, now, as FreeSWITCH reads them when the media bug is added.
func (ch *channel) startRecord(path string, limit time.Duration, vars []wire.Header) bool {
	if path == "" {
		return false
	}
	if r := ch.record; r != nil {
		// "Already recording" is a success for the same file; fsemu keeps
		// one recording per channel.
		return r.path == path
	}
	if !ch.answered && !ch.early {
		ch.preAnswerLocal() // switch_channel_pre_answer
	}
	value := func(name string) string { // get_recording_var: the recording's, else the channel's
		if v := varOf(vars, name); v != "" {
			return v
		}
		return ch.varOr(name, "")
	}
	opt := func(name string) bool { return switchTrue(value(name)) }
	r := &recording{path: path, start: ch.s.nowMicros(), limit: limit, vars: vars, bug: ch.nextBug(),
		read: true, write: true, preBuffer: defaultPreBuffer}
	if n := atoi(value("RECORD_PRE_BUFFER_FRAMES")); n > 0 {
		r.preBuffer = n
	}
	if opt("RECORD_WRITE_ONLY") {
		r.read, r.write = false, true
	}
	if opt("RECORD_READ_ONLY") {
		r.read, r.write = true, false
	}
	if opt("RECORD_STEREO") {
		r.stereo, r.swap = true, false
	}
	if opt("RECORD_STEREO_SWAP") {
		r.stereo, r.swap = true, true
	}
	ch.record = r
	ch.emit(evRecStart, nil, r.headers(nil))
	ch.emit(evBugStart, nil, []wire.Header{{Name: "Media-Bug-Function", Value: "session_record"},
		{Name: "Media-Bug-Target", Value: path}})
	if r.limit > 0 {
		ch.after(r.limit, func() {
			if ch.record == r {
				ch.stopRecord(r.path)
			}
		})
	}
	return true
}

// headers are RECORD_START's and RECORD_STOP's own headers: the path, the
// recording variables (merge_recording_variables) and the completion
// cause when there is one.
func (r *recording) headers(cause []wire.Header) []wire.Header {
	h := make([]wire.Header, 0, 2+len(r.vars))
	h = append(h, wire.Header{Name: "Record-File-Path", Value: r.path})
	for _, v := range r.vars {
		h = append(h, wire.Header{Name: "Recording-Variable-" + v.Name, Value: v.Value})
	}
	return append(h, cause...)
}

// recordArgs parses record_session's argument (mod_dptools.c
// record_session_function): "<path> [+<seconds>] [{var=value,...}]".
func recordArgs(arg string) (path string, limit time.Duration, vars []wire.Header) {
	f := splitArgs(arg)
	if len(f) == 0 {
		return "", 0, nil
	}
	path = f[0]
	rest := f[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "+") {
		limit = time.Duration(atoi(rest[0][1:])) * time.Second
		rest = rest[1:]
	}
	if len(rest) > 0 {
		vars = recordingVars(rest[0])
	}
	return path, limit, vars
}

// recordingVars parses a recording's "{var=value,...}" after
// switch_url_decode, as switch_event_create_brackets does.
func recordingVars(s string) []wire.Header {
	s = urlDecode(s)
	if len(s) < 2 || s[0] != '{' {
		return nil
	}
	end := matchClose(s, '{', '}')
	if end < 0 {
		return nil
	}
	return parseVarBlock(s[1:end])
}

// urlDecode is switch_url_decode: %XX sequences become their byte.
func urlDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	unhex := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if hi, ok := unhex(s[i+1]); ok {
				if lo, ok := unhex(s[i+2]); ok {
					b = append(b, hi<<4|lo)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// stopRecord stops the recording of path ("" or "all": any) as
// switch_ivr_stop_record_session does: the file is written, RECORD_STOP
// and MEDIA_BUG_STOP are raised.
func (ch *channel) stopRecord(path string) bool {
	r := ch.record
	if r == nil || (path != "" && path != "all" && path != r.path) {
		return false
	}
	ch.closeRecord(r, false)
	ch.emit(evBugStop, nil, []wire.Header{{Name: "Media-Bug-Function", Value: "session_record"},
		{Name: "Media-Bug-Target", Value: r.path}})
	return true
}

// closeRecord is record_callback's SWITCH_ABC_TYPE_CLOSE: it writes the
// WAV (8 kHz 16-bit; two channels for RECORD_STEREO), sets the record_*
// variables and raises RECORD_STOP. A recording closed because the
// channel hung up completes "success-silence" (speech is assumed without
// silence detection), otherwise "success-maxtime".
//
// What the channel hears (its read stream) is its far end's audio after
// the server's impairments; what it sends (its write stream) is its own
// playback and, bridged, what its partner hears. The file holds the
// frames the media bug took out of the two streams (mediabug.go): a mono
// recording mixes them as switch_core_media_bug_read does; RECORD_STEREO
// puts the read stream left and the write stream right
// (RECORD_STEREO_SWAP the other way round).
func (ch *channel) closeRecord(r *recording, hungUp bool) {
	ch.record = nil
	now := ch.s.nowMicros()
	const fs = rtpPacketUS * sampleRate / 1_000_000 // samples per frame
	ticks := int((now - r.start) / rtpPacketUS)
	tickAt := func(k int) int64 { return r.start + int64(k)*rtpPacketUS }
	var read, write []int16
	if r.read {
		read = make([]int16, ticks*fs)
		ch.renderHeard(read, r.start, tickAt(ticks), 0)
	}
	if r.write {
		write = make([]int16, ticks*fs)
		ch.renderSent(write, r.start, tickAt(ticks), r.bug, 0)
	}
	frames, at := recordFrames(ticks, r.read, r.write, r.preBuffer,
		func(k int) bool { return ch.writesAt(tickAt(k)) },
		func(k int) bool { return inSpans(r.paused, tickAt(k), now) })
	channels := 1
	if r.stereo {
		channels = 2
	}
	out := make([]int16, channels*fs*len(frames))
	stream := func(buf []int16, idx int, dst []int16) {
		switch {
		case buf == nil: // not recorded: nothing (rlen or wlen 0)
		case idx < 0:
			for i := range dst {
				dst[i] = fillSample
			}
		default:
			copy(dst, buf[idx*fs:(idx+1)*fs])
		}
	}
	rf, wf := make([]int16, fs), make([]int16, fs)
	for m, f := range frames {
		if inSpans(r.masked, tickAt(at[m]), now+1) {
			continue // record_callback writes null_data
		}
		clear(rf)
		clear(wf)
		stream(read, f.read, rf)
		stream(write, f.write, wf)
		o := out[channels*fs*m:]
		switch {
		case r.stereo:
			left, right := rf, wf
			if r.swap {
				left, right = wf, rf
			}
			for i := range fs {
				o[2*i], o[2*i+1] = left[i], right[i]
			}
		default:
			for i := range fs {
				o[i] = mixSample(rf[i], wf[i])
			}
		}
	}
	n := len(frames) * fs
	size := writeWAV(r.path, out, channels)
	cause := "success-maxtime"
	if hungUp {
		cause = "success-silence"
	}
	ch.setVar("record_file_size", strconv.Itoa(size))
	ch.setVar("record_samples", strconv.Itoa(n))
	ch.setVar("record_seconds", strconv.Itoa(n/sampleRate))
	ch.setVar("record_ms", strconv.Itoa(n/(sampleRate/1000)))
	ch.setVar("record_completion_cause", cause)
	ch.emit(evRecStop, nil, r.headers([]wire.Header{{Name: "Record-Completion-Cause", Value: cause}}))
}

// writeWAV writes PCM16 at 8 kHz with channels interleaved channels; it
// returns the file size (0 on error).
func writeWAV(path string, s []int16, channels int) int {
	b := make([]byte, 44+2*len(s))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(s)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], uint16(channels))
	binary.LittleEndian.PutUint32(b[24:], sampleRate)
	binary.LittleEndian.PutUint32(b[28:], uint32(sampleRate*2*channels))
	binary.LittleEndian.PutUint16(b[32:], uint16(2*channels))
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(s)))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	if dir := filepath.Dir(path); dir != "" {
		os.MkdirAll(dir, 0o755)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return 0
	}
	return len(b)
}
