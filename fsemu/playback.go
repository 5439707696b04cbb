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
	if !ch.playFile(ap, ap.arg, func() {
		ch.setVar("current_application_response", "FILE PLAYED")
		done()
	}) {
		ch.setVar("current_application_response", "FILE NOT FOUND")
		done()
	}
}

// playFile plays path for ap (switch_ivr_play_file): PLAYBACK_START now
// and, unless broken or hung up first, PLAYBACK_STOP "done" when it has
// played, then played. It reports false, playing nothing, for a file it
// cannot open.
func (ch *channel) playFile(ap *appRun, path string, played func()) bool {
	s := ch.s
	m, ok := parseMedia(path)
	if !ok {
		return false
	}
	if ap.name == "endless_playback" {
		m.loops = -1
	}
	ap.file = path
	ap.started = s.clock.Now()
	ap.media = m
	ch.addSent(playSeg{start: ap.started.UnixMicro(), spec: m})
	ch.emit(evPlayStart, nil, playHeaders(path, ""))
	if m.dur < 0 || m.loops < 0 {
		return true // until break or hang-up
	}
	ap.playTimer(ch, ap.started, m.dur*time.Duration(max(m.loops, 1)), played)
	return true
}

// addSent keeps a segment of audio the channel sends (the last 64).
func (ch *channel) addSent(seg playSeg) {
	ch.media.sent = append(ch.media.sent, seg)
	if len(ch.media.sent) > 64 {
		for _, seg := range ch.media.sent[:len(ch.media.sent)-64] {
			ch.media.trimmedUS += seg.playedUS(seg.end)
		}
		ch.media.sent = ch.media.sent[len(ch.media.sent)-64:]
	}
}

// playTimer ends the playback when the rest of the file, left, has
// played from from (the play's start or its resumption: one clock
// reading, so a 200 ms file reports 1600 samples, not 1601), then calls
// played.
func (ap *appRun) playTimer(ch *channel, from time.Time, left time.Duration, played func()) {
	s := ch.s
	ap.left, ap.resumed, ap.done = left, from, played
	ap.timer = s.clock.AfterFunc(left, func() {
		s.lock()
		defer s.unlock()
		if ap.timer == nil || ch.gone() {
			return
		}
		ap.timer = nil
		// The file played for its length from its start, whenever this
		// timer got to run (a clock read between the start and the
		// timer's registration may differ by a step of a virtual clock).
		ap.playbackStopAt(ch, "done", from.Add(left))
		played()
	})
}

// nests reports whether an execute sent without event-lock runs inside
// the channel's running application, as on a real FreeSWITCH 1.10.12: a
// playback's loop parses the channel's messages (switch_ivr_play_file
// calls switch_ivr_parse_all_events), so three playbacks sent at once
// without event-lock start one inside the other (PLAYBACK_START of each
// in a row) and complete in the reverse order, the first resuming after
// the others; with event-lock: true they play one after the other.
// Only playback is emulated so (seen on the real server).
func (ap *appRun) nests() bool {
	return (ap.name == "playback" || ap.name == "endless_playback") && ap.file != "" && !ap.paused
}

// pause suspends a playback while an application runs inside it.
func (ap *appRun) pause(ch *channel) {
	now := ch.s.clock.Now()
	if n := len(ch.media.sent); n > 0 && ch.media.sent[n-1].end == 0 {
		ch.media.sent[n-1].end = now.UnixMicro()
	}
	if ap.timer != nil {
		ap.timer.Stop()
		ap.timer = nil
		ap.left -= now.Sub(ap.resumed)
	}
	ap.paused, ap.pausedAt = true, now
}

// resume goes on with a paused playback where it stopped.
func (ap *appRun) resume(ch *channel) {
	now := ch.s.clock.Now()
	played := ap.pausedAt.Sub(ap.started) - ap.pausedFor
	ap.pausedFor += now.Sub(ap.pausedAt)
	ap.paused = false
	ch.addSent(playSeg{start: now.UnixMicro(), spec: ap.media, skip: int(played.Seconds() * sampleRate)})
	if ap.done != nil {
		ap.playTimer(ch, now, ap.left, ap.done)
	}
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
	el := at.Sub(ap.started) - ap.pausedFor
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
	if status == "break" && (ap.name == "playback" || ap.name == "endless_playback") {
		// (a read's broken prompt leaves the response _none_: capture in
		// collect_test.go)
		ch.setVar("current_application_response", "FILE PLAYED")
	}
}
