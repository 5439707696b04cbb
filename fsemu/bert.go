package fsemu

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

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
