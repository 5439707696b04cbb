package fsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

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
		// The file played for its length from its start, whenever this
		// timer got to run (a clock read between the start and the
		// timer's registration may differ by a step of a virtual clock).
		ap.playbackStopAt(ch, "done", ap.started.Add(total))
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
	ap.playbackStopAt(ch, status, ch.s.clock.Now())
}

// playbackStopAt ends the playback as of at.
func (ap *appRun) playbackStopAt(ch *channel, status string, at time.Time) {
	if ap.file == "" {
		return
	}
	el := at.Sub(ap.started)
	if n := len(ch.media.sent); n > 0 && ch.media.sent[n-1].end == 0 {
		ch.media.sent[n-1].end = at.UnixMicro()
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
