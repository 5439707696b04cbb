package fsemu

import (
	"cmp"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

const sampleRate = 8000

// tone is one %(on,off,f1,f2...) element of a tone_stream.
type tone struct {
	on, off time.Duration
	freqs   []float64
}

// mediaSpec describes a playable file: tones, silence or WAV samples.
type mediaSpec struct {
	kind    string // tone_stream, silence_stream, file
	tones   []tone
	loops   int
	dur     time.Duration // one loop; <0 endless (loops < 0 repeats it for ever)
	samples []int16       // WAV data (8 kHz mono 16-bit)
}

// parseMedia parses a playback argument. ok=false means file not found.
// Leading {var=value} blocks are the file handle's parameters
// (switch_core_file.c switch_core_file_open); tone_stream takes its
// "loops" from them (mod_tone_stream.c tone_stream_file_open).
func parseMedia(path string) (mediaSpec, bool) {
	params, path := fileParams(path)
	switch {
	case strings.HasPrefix(path, "tone_stream://"):
		spec := path[len("tone_stream://"):]
		m := mediaSpec{kind: "tone_stream", loops: 1}
		for _, part := range strings.Split(spec, ";") {
			part = strings.TrimSpace(part)
			switch {
			case strings.HasPrefix(part, "loops="):
				m.loops = atoi(part[6:])
			case strings.HasPrefix(part, "L="):
				m.loops = atoi(part[2:])
			case strings.HasPrefix(part, "%(") || strings.HasPrefix(part, "v=") || strings.HasPrefix(part, "%"):
				inner := strings.TrimSuffix(strings.TrimPrefix(part, "%("), ")")
				f := strings.Split(inner, ",")
				if len(f) < 2 {
					continue
				}
				on, off := atoi(f[0]), atoi(f[1])
				t := tone{on: time.Duration(on) * time.Millisecond, off: time.Duration(off) * time.Millisecond}
				for _, x := range f[2:] {
					if fr, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
						t.freqs = append(t.freqs, fr)
					}
				}
				m.tones = append(m.tones, t)
			}
		}
		if v := varOf(params, "loops"); v != "" {
			m.loops = atoi(v)
		}
		for _, t := range m.tones {
			m.dur += t.on + t.off
		}
		// loops < 0 repeats for ever; dur stays one loop's length
		return m, true
	case strings.HasPrefix(path, "silence_stream://"):
		f := strings.Split(path[len("silence_stream://"):], ",")
		ms := atoi(f[0])
		m := mediaSpec{kind: "silence_stream", loops: 1, dur: time.Duration(ms) * time.Millisecond}
		if ms <= 0 {
			m.dur = -1
		}
		return m, true
	}
	p := path
	if strings.HasPrefix(p, "file_string://") {
		p = strings.Split(p[len("file_string://"):], "!")[0]
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return mediaSpec{}, false
	}
	samples, rate, ch, bits := parseWAV(b)
	m := mediaSpec{kind: "file", loops: 1}
	if rate == 0 {
		return m, false
	}
	frames := len(samples) / ch
	m.dur = time.Duration(frames) * time.Second / time.Duration(rate)
	if rate == sampleRate && ch == 1 && bits == 16 {
		m.samples = samples
	}
	return m, true
}

// parseWAV returns PCM16 samples of a RIFF/WAVE file (rate 0 if not one).
func parseWAV(b []byte) (samples []int16, rate, channels, bits int) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, 0, 0
	}
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8:]
		if n > len(body) {
			n = len(body)
		}
		switch id {
		case "fmt ":
			if n >= 16 {
				channels = int(binary.LittleEndian.Uint16(body[2:]))
				rate = int(binary.LittleEndian.Uint32(body[4:]))
				bits = int(binary.LittleEndian.Uint16(body[14:]))
			}
		case "data":
			if bits == 16 {
				samples = make([]int16, n/2)
				for i := range samples {
					samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
				}
			} else if bits > 0 && channels > 0 {
				samples = make([]int16, n/(bits/8))
			}
		}
		off += 8 + n + n&1
	}
	if channels == 0 {
		return nil, 0, 0, 0
	}
	return samples, rate, channels, bits
}

// render writes the audio of d from the start of the spec into out.
func (m *mediaSpec) render(out []int16, offset int) {
	switch m.kind {
	case "tone_stream":
		loopLen := int(m.dur.Seconds() * sampleRate)
		if loopLen <= 0 {
			return
		}
		for i := range out {
			pos := (offset + i) % loopLen
			if m.loops > 0 && (offset+i)/loopLen >= m.loops {
				return
			}
			for _, t := range m.tones {
				on := int(t.on.Seconds() * sampleRate)
				off := int(t.off.Seconds() * sampleRate)
				if pos < on {
					var v float64
					for _, f := range t.freqs {
						v += math.Sin(2 * math.Pi * f * float64(pos) / sampleRate)
					}
					if n := len(t.freqs); n > 0 {
						v = v / float64(n) * 8000
					}
					out[i] = clamp16(int32(out[i]) + int32(v))
					break
				}
				pos -= on + off
				if pos < 0 {
					break
				}
			}
		}
	case "file":
		for i := range out {
			j := offset + i
			if j >= len(m.samples) {
				return
			}
			out[i] = clamp16(int32(out[i]) + int32(m.samples[j]))
		}
	}
}

// playSeg is audio a channel sent, kept for recordings on either end.
type playSeg struct {
	start int64 // µs
	end   int64 // µs (0: still playing)
	spec  mediaSpec
}

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

type mediaState struct {
	sent      []playSeg // audio this channel played (heard by the far end)
	trimmedUS int64     // playing time of segments dropped from sent
	bertFrom  int64     // µs: bert_test started sending its pattern (0: never)
	// rtpPeer is the far end of the channel's RTP stream, kept past the
	// dialog's end for the hang-up statistics.
	rtpPeer *channel
	bugSeq  uint64    // media bugs added so far (nextBug)
	audio   *audioBug // the uuid_audio bug, nil when none
	fx      []fxSpan  // uuid_audio effects over time
	echo    []span    // the echo application ran (to 0: still running)
}

// fileParams splits a file path's leading {var=value,...} blocks (the
// file handle's parameters) from the path.
func fileParams(path string) (params []wire.Header, rest string) {
	for strings.HasPrefix(path, "{") {
		end := matchClose(path, '{', '}')
		if end < 0 {
			break
		}
		params = append(params, parseVarBlock(path[1:end])...)
		path = path[end+1:]
	}
	return params, path
}

// playbackTypeOf is the Playback-File-Type header value: switch_ivr_play_file
// (switch_ivr_play_say.c) names only local_stream and tone_stream files.
func playbackTypeOf(path string) string {
	for _, t := range []string{"local_stream", "tone_stream"} {
		if len(path) > len(t) && strings.EqualFold(path[:len(t)+1], t+":") {
			return t
		}
	}
	return ""
}

func (ch *channel) playback(ap *appRun, done func()) {
	s := ch.s
	path := ap.arg
	m, ok := parseMedia(path)
	if !ok {
		ch.setVar("current_application_response", "FILE NOT FOUND")
		done()
		return
	}
	if ap.name == "endless_playback" {
		m.loops = -1
	}
	ap.file = path
	ap.started = s.clock.Now()
	ch.media.sent = append(ch.media.sent, playSeg{start: ap.started.UnixMicro(), spec: m})
	if len(ch.media.sent) > 64 {
		for _, seg := range ch.media.sent[:len(ch.media.sent)-64] {
			ch.media.trimmedUS += seg.playedUS(seg.end)
		}
		ch.media.sent = ch.media.sent[len(ch.media.sent)-64:]
	}
	ch.emit(evPlayStart, nil, playHeaders(path, ""))
	total := m.dur * time.Duration(max(m.loops, 1))
	if m.dur < 0 || m.loops < 0 {
		return // until break or hang-up
	}
	ap.timer = s.clock.AfterFunc(total, func() {
		s.lock()
		defer s.unlock()
		if ap.timer == nil || ch.gone() {
			return
		}
		ap.timer = nil
		ap.playbackStop(ch, "done")
		ch.setVar("current_application_response", "FILE PLAYED")
		done()
	})
}

// playHeaders are PLAYBACK_START's and PLAYBACK_STOP's own headers: the
// type, the path as given, the status, then the file's {parameters}
// (switch_event_merge of fh->params).
func playHeaders(path, status string) []wire.Header {
	var h []wire.Header
	if t := playbackTypeOf(path); t != "" {
		h = append(h, wire.Header{Name: "Playback-File-Type", Value: t})
	}
	h = append(h, wire.Header{Name: "Playback-File-Path", Value: path})
	if status != "" {
		h = append(h, wire.Header{Name: "Playback-Status", Value: status})
	}
	params, _ := fileParams(path)
	return append(h, params...)
}

func (ap *appRun) playbackStop(ch *channel, status string) {
	if ap.file == "" {
		return
	}
	el := ch.s.clock.Now().Sub(ap.started)
	if n := len(ch.media.sent); n > 0 && ch.media.sent[n-1].end == 0 {
		ch.media.sent[n-1].end = ch.s.nowMicros()
	}
	samples := int64(el.Seconds() * sampleRate)
	ch.setVar("playback_last_offset_pos", strconv.FormatInt(samples, 10))
	ch.setVar("playback_seconds", strconv.FormatInt(int64(el/time.Second), 10))
	ch.setVar("playback_ms", strconv.FormatInt(el.Milliseconds(), 10))
	ch.setVar("playback_samples", strconv.FormatInt(samples, 10))
	ch.emit(evPlayStop, nil, playHeaders(ap.file, status))
	ap.file = ""
	if status == "break" {
		ch.setVar("current_application_response", "FILE PLAYED")
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
	opt := func(name string) bool {
		if v := varOf(vars, name); v != "" {
			return switchTrue(v)
		}
		return switchTrue(ch.varOr(name, ""))
	}
	r := &recording{path: path, start: ch.s.nowMicros(), limit: limit, vars: vars, bug: ch.nextBug(),
		read: true, write: true}
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
// playback and, bridged, what its partner hears. A mono recording mixes
// both as switch_core_media_bug_read does; RECORD_STEREO puts the read
// stream left and the write stream right (RECORD_STEREO_SWAP the other
// way round).
func (ch *channel) closeRecord(r *recording, hungUp bool) {
	ch.record = nil
	now := ch.s.nowMicros()
	n := int((now - r.start) * sampleRate / 1e6)
	var read, write []int16
	if r.read {
		read = make([]int16, n)
		ch.renderHeard(read, r.start, now, 0)
	}
	if r.write {
		write = make([]int16, n)
		ch.renderSent(write, r.start, now, r.bug, 0)
	}
	channels := 1
	var out []int16
	switch {
	case r.stereo:
		channels = 2
		left, right := read, write
		if r.swap {
			left, right = write, read
		}
		out = make([]int16, 2*n)
		for i := 0; i < n; i++ {
			if left != nil {
				out[2*i] = left[i]
			}
			if right != nil {
				out[2*i+1] = right[i]
			}
		}
	case read != nil && write != nil:
		out = read
		for i, w := range write {
			out[i] = mixSample(out[i], w)
		}
	case read != nil:
		out = read
	default:
		out = write
	}
	// a masked span is written as silence (record_callback writes
	// null_data); a paused bug is skipped, so its span is not in the file
	for _, sp := range r.masked {
		if sp.to == 0 {
			sp.to = now
		}
		clear(out[channels*sampleAt(sp.from, r.start, n) : channels*sampleAt(sp.to, r.start, n)])
	}
	for i := len(r.paused) - 1; i >= 0; i-- {
		sp := r.paused[i]
		if sp.to == 0 {
			sp.to = now
		}
		lo, hi := sampleAt(sp.from, r.start, n), sampleAt(sp.to, r.start, n)
		out = append(out[:channels*lo], out[channels*hi:]...)
		n -= hi - lo
	}
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
		off := 0
		if from < 0 {
			off = -from
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

// bertTest emulates mod_bert's bert_test (mod_bert.c bert_test_function):
// the channel answers, sends the digital milliwatt pattern and checks what
// it reads back in windows of bert_window_ms (default 1000). A read packet
// that never arrived is a CNG frame (switch_rtp.c rtp_common_read), which
// mod_bert fills with the idle octet and counts whole as error samples, so
// a window's error rate is the share of its 20 ms frames lost: the link's
// Link.Loss or, when larger, the frames of the window in which the channel
// hears nothing (its server's Impairments: loss bursts, a muted call; a
// far end muted on write or its own read muted with uuid_audio). Above
// bert_max_err percent (default 10; err > max_err) a window loses sync
// (mod_bert::lost_sync with sync_lost_percent, sync_lost_count, cng_count
// and err_samples, and the variables bert_stats_sync_lost_count and
// bert_stats_sync_lost), at or below it the channel gets in sync
// (mod_bert::in_sync); a window that is not a whole number of 20 ms
// frames is never evaluated. No sync within bert_timeout_ms (default
// 10000) of the start raises mod_bert::timeout once. With
// bert_hangup_on_error the channel hangs up MEDIA_TIMEOUT on lost sync
// or the timeout. Whether the far end really sends the pattern is not
// checked.
func (ch *channel) bertTest(ap *appRun, done func()) {
	s := ch.s
	ch.answerLocal()
	ch.media.bertFrom = s.nowMicros()
	windowMS := 1000 // BERT_DEFAULT_WINDOW_MS
	if n := atoi(ch.varOr("bert_window_ms", "")); n > 0 {
		windowMS = n
	}
	timeout := 10000 * time.Millisecond // BERT_DEFAULT_TIMEOUT_MS
	if n := atoi(ch.varOr("bert_timeout_ms", "")); n > 0 {
		timeout = time.Duration(n) * time.Millisecond
	}
	maxErr := float32(10.0) // BERT_DEFAULT_MAX_ERR; bert_max_err is read with atoi
	if n := atoi(ch.varOr("bert_max_err", "")); n > 0 {
		maxErr = float32(n)
	}
	hangupOnErr := switchTrue(ch.varOr("bert_hangup_on_error", ""))
	ch.setVar("bert_stats_sync_lost_count", "0")
	ch.setVar("bert_stats_sync_lost", "false")
	running := func() bool { return len(ch.apps) > 0 && ch.apps[len(ch.apps)-1] == ap }
	inSync, synced := false, false
	lostCount, cng := 0, int64(0)
	ch.after(timeout, func() {
		if !running() || synced {
			return
		}
		ch.bertEvent("mod_bert::timeout", 246, nil)
		if hangupOnErr {
			s.hangup(ch, "MEDIA_TIMEOUT")
		}
	})
	window := time.Duration(windowMS) * time.Millisecond
	windowSamples := int64(windowMS) * sampleRate / 1000
	if windowSamples%rtpSamples != 0 {
		return // processed_samples never equals window_samples
	}
	var tick func()
	tick = func() {
		if !running() {
			return
		}
		now := s.nowMicros()
		lost := ch.bertLostFrames(now-window.Microseconds(), now)
		cng += lost
		errSamples := lost * rtpSamples
		err := float32(float64(float32(errSamples)/float32(windowSamples)) * 100.0)
		switch {
		case err > maxErr && inSync:
			inSync = false
			lostCount++
			ch.setVar("bert_stats_sync_lost_count", strconv.Itoa(lostCount))
			ch.setVar("bert_stats_sync_lost", "true")
			ch.bertEvent("mod_bert::lost_sync", 294, []wire.Header{
				{Name: "sync_lost_percent", Value: strconv.FormatFloat(float64(err), 'f', 6, 64)},
				{Name: "sync_lost_count", Value: strconv.Itoa(lostCount)},
				{Name: "cng_count", Value: strconv.FormatInt(cng, 10)},
				{Name: "err_samples", Value: strconv.FormatInt(errSamples, 10)}})
			if hangupOnErr {
				s.hangup(ch, "MEDIA_TIMEOUT")
				return
			}
		case err <= maxErr && !inSync:
			inSync, synced = true, true
			cng = 0
			ch.bertEvent("mod_bert::in_sync", 313, nil)
		}
		ch.after(window, tick)
	}
	ch.after(window, tick)
}

// rtpSamples is one 20 ms packet of 8 kHz audio.
const rtpSamples = sampleRate * rtpPacketUS / 1e6

// bertLostFrames is how many of the 20 ms frames in [from, to) reach the
// channel as CNG: the link's loss, or the frames it hears nothing in,
// whichever is more.
func (ch *channel) bertLostFrames(from, to int64) int64 {
	frames := (to - from) / rtpPacketUS
	far := ch.peer
	var linkLoss float64
	if far != nil {
		linkLoss = ch.s.net.link(far.s, ch.s).Loss
	}
	var spans []span
	spans = append(spans, ch.lostSpans(from, to)...)
	for _, sp := range ch.media.fx {
		if sp.fx.readMute != 0 {
			spans = append(spans, sp.span(to))
		}
	}
	if far != nil {
		for _, sp := range far.media.fx {
			if sp.fx.writeMute != 0 {
				spans = append(spans, sp.span(to))
			}
		}
	}
	silent := coveredUS(spans, from, to)
	lost := max(int64(math.Round(linkLoss*float64(frames))), (silent+rtpPacketUS/2)/rtpPacketUS)
	return min(lost, frames)
}

// span is the time the effect was on, an open one until end.
func (sp fxSpan) span(end int64) span {
	if sp.to == 0 {
		return span{sp.from, end}
	}
	return span{sp.from, sp.to}
}

// coveredUS is how much of [from, to) the spans cover, overlaps counted
// once.
func coveredUS(spans []span, from, to int64) int64 {
	var clipped []span
	for _, sp := range spans {
		if a, b := max(sp.from, from), min(sp.to, to); b > a {
			clipped = append(clipped, span{a, b})
		}
	}
	slices.SortFunc(clipped, func(x, y span) int { return cmp.Compare(x.from, y.from) })
	var total, reach int64
	reach = from
	for _, sp := range clipped {
		if sp.to <= reach {
			continue
		}
		total += sp.to - max(sp.from, reach)
		reach = sp.to
	}
	return total
}

// bertEvent raises one of mod_bert's CUSTOM events (Event-Subclass sub,
// from mod_bert.c's line) with the channel's basic data and then extra.
func (ch *channel) bertEvent(sub string, line int, extra []wire.Header) {
	s := ch.s
	if !s.wants(evCUSTOM) {
		s.seq++
		return
	}
	ev := &wire.Event{Headers: make([]wire.Header, 0, 64)}
	ev.Headers = append(ev.Headers, wire.Header{Name: "Event-Subclass", Value: sub},
		wire.Header{Name: "Event-Name", Value: "CUSTOM"})
	s.appendStd(ev, "mod_bert.c", "bert_test_function", line)
	ch.appendBlock(ev, s.verbose)
	ev.Headers = append(ev.Headers, extra...)
	s.fire(ev, ch)
}
