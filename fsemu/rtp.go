package fsemu

import (
	"math"
	"strconv"
)

// RTP statistics at hang-up, as switch_core_media_set_stats
// (src/switch_core_media.c set_stats) writes them from the RTP session's
// counters (src/switch_rtp.c). Only legs that had an RTP session have
// them: sofia legs that got an answer or early media (SDP); loopback legs
// and legs that failed before media have none.
//
// What is counted follows the media that really flowed: a parked leg
// sends nothing, so a parked call ends with zero packets both ways (the
// captures' parked, answered and early-media calls do). A leg sends RTP
// while it plays (playback, tone streams, uuid_broadcast) or runs
// bert_test; it receives what its far end sent, less the link's loss.
// DTMF travels as RFC 2833 events of 15 packets per digit (capture 06:
// "12#" is 45), counted in the packet and raw byte totals but not the
// media ones. skip_packet_count counts the 20 ms reads that found no
// packet: from the moment the leg reads media (answer, or early media
// for a leg that takes it) to the hang-up.
//
// Quality is do_mos's: R = (received - flaws) / received * 100 as an int,
// 100 when out of range (no packets: 0/0), and
// MOS = 1 + 0.035 R + 0.000007 R (R - 60) (100 - R); flaws are the lost
// packets (the consecutive-loss penalty is not emulated). The mean
// interval is 20 ms (the packetisation) once more than the jitter lead
// (JITTER_LEAD_FRAMES, 10) have arrived, stretched by the loss.

const (
	rtpPacketUS     = 20000 // ptime 20
	rtpMediaBytes   = 172   // PCMU 160 bytes + the 12-byte RTP header
	rtpDTMFBytes    = 16    // an RFC 2833 event: 4 bytes + the header
	rtpDTMFPackets  = 15    // per digit at the default duration
	rtpJitterLead   = 10    // JITTER_LEAD_FRAMES
	rtpFormatDouble = 'f'
)

// playedUS is how long the segment played before until.
func (seg playSeg) playedUS(until int64) int64 {
	end := seg.end
	if end == 0 || end > until {
		end = until
	}
	return max(0, end-seg.start)
}

// sentMediaUS is how long the channel sent audio before until: what it
// played itself and what it echoed.
func (ch *channel) sentMediaUS(until int64) int64 {
	return ch.ownMediaUS(0, until) + ch.echoedUS(until)
}

// ownMediaUS is how long, between from and until, the channel sent audio
// of its own: plays, tone streams and bert_test's pattern.
func (ch *channel) ownMediaUS(from, until int64) int64 {
	var us int64
	if from == 0 {
		us = ch.media.trimmedUS
	}
	for _, seg := range ch.media.sent {
		end := seg.end
		if end == 0 || end > until {
			end = until
		}
		us += max(0, end-max(seg.start, from))
	}
	if b := max(ch.media.bertFrom, from); ch.media.bertFrom != 0 && until > b {
		us += until - b
	}
	return us
}

// echoedUS is how long the channel sent back, with the echo application,
// audio its far end sent: echo writes every frame it reads
// (mod_dptools.c echo_function, switch_ivr_session_echo), and a frame
// read when no packet came is not sent, so an echo sends RTP only while
// the far end does. The real server's TonePlay calls show it: the echoing
// leg's rtp_audio_out_media_packet_count follows what it received (145
// sent for 147 received in a 3 s call), and is 0 where nothing came.
func (ch *channel) echoedUS(until int64) int64 {
	p := ch.peer
	if p == nil {
		p = ch.media.rtpPeer
	}
	if p == nil || len(ch.media.echo) == 0 {
		return 0
	}
	if p.hangupAt != 0 && p.hangupAt < until {
		until = p.hangupAt
	}
	var us int64
	for _, e := range ch.media.echo {
		to := e.to
		if to == 0 || to > until {
			to = until
		}
		if to > e.from {
			us += p.ownMediaUS(e.from, to)
		}
	}
	return us
}

// keepRTPPeer remembers the dialog's far end on both legs before the
// dialog ends, for the statistics of the leg that hangs up last.
func (ch *channel) keepRTPPeer() {
	if p := ch.peer; p != nil {
		ch.media.rtpPeer = p
		p.media.rtpPeer = ch
	}
}

// mediaFrom is when the leg started reading media (0: never): its answer,
// or its early media if it takes it — an inbound leg that pre-answered,
// an outbound leg unless ignore_early_media (switch_true) made it wait.
func (ch *channel) mediaFrom() int64 {
	if ch.progressMediaAt != 0 && !(ch.outbound && switchTrue(ch.varOr("ignore_early_media", ""))) {
		return ch.progressMediaAt
	}
	return ch.answeredAt
}

// rtpStats is the channel's RTP counters at hang-up.
type rtpStats struct {
	inMedia, inDTMF, lost, skip int64
	outMedia, outDTMF           int64
}

func (ch *channel) rtpCounters() rtpStats {
	var st rtpStats
	end := ch.hangupAt
	st.outMedia = ch.sentMediaUS(end) / rtpPacketUS
	st.inDTMF = int64(len(ch.dtmfs)) * rtpDTMFPackets
	if p := ch.media.rtpPeer; p != nil && p.endpoint == "sofia" {
		until := end
		if p.hangupAt != 0 && p.hangupAt < until {
			until = p.hangupAt
		}
		sent := p.sentMediaUS(until) / rtpPacketUS
		loss := ch.s.net.link(p.s, ch.s).Loss
		st.lost = int64(math.Round(float64(sent) * loss))
		st.inMedia = sent - st.lost
		st.outDTMF = int64(len(p.dtmfs)) * rtpDTMFPackets
		ch.impairRTP(&st, until)
	}
	if from := ch.mediaFrom(); from != 0 && end > from {
		st.skip = max(0, (end-from)/rtpPacketUS-st.inMedia-st.lost)
	}
	return st
}

// impairRTP takes the server's audio impairments out of the packets
// received: packets of a loss burst are lost (sequence gaps, counted as
// flaws and in the MOS, as switch_rtp.c counts them); a muted call's
// never come (no gap to count: they show as skipped time).
func (ch *channel) impairRTP(st *rtpStats, until int64) {
	from := ch.mediaFrom()
	if from == 0 || until <= from || st.inMedia <= 0 {
		return
	}
	var lostUS int64
	for _, sp := range ch.lostSpans(from, until) {
		lostUS += sp.to - sp.from
	}
	if lostUS == 0 {
		return
	}
	gone := min(st.inMedia, int64(math.Round(float64(st.inMedia)*float64(lostUS)/float64(until-from))))
	st.inMedia -= gone
	if !ch.mutedCall() {
		st.lost += gone
	}
}

// mosOf is do_mos (switch_rtp.c) for recved packets processed and flaws.
func mosOf(recved, flaws int64) (r int, mos float64) {
	if recved < flaws {
		flaws = 0
	}
	r = 100
	if recved > 0 {
		r = int(float64(recved-flaws) / float64(recved) * 100.0)
		if r < 0 || r > 100 {
			r = 100
		}
	}
	R := float64(r)
	return r, 1 + 0.035*R + 0.000007*R*(R-60)*(100-R)
}

// addRTPStats sets the rtp_audio_* variables set_stats writes.
func (ch *channel) addRTPStats() {
	if ch.endpoint != "sofia" || (ch.answeredAt == 0 && ch.progressMediaAt == 0) {
		return
	}
	st := ch.rtpCounters()
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	f := func(x float64) string { return strconv.FormatFloat(x, rtpFormatDouble, 2, 64) }
	recved := max(0, st.inMedia-rtpJitterLead)
	flaws := st.lost
	if recved == 0 {
		flaws = 0
	}
	r, mos := mosOf(recved, flaws)
	mean, lossRate := 0.0, 0.0
	if recved > 0 {
		mean = 20 * float64(st.inMedia+st.lost) / float64(st.inMedia)
		lossRate = float64(flaws) / float64(recved)
	}
	inPk := st.inMedia + st.inDTMF
	for _, kv := range [...][2]string{
		{"rtp_audio_in_raw_bytes", i(st.inMedia*rtpMediaBytes + st.inDTMF*rtpDTMFBytes)},
		{"rtp_audio_in_media_bytes", i(st.inMedia * rtpMediaBytes)},
		{"rtp_audio_in_packet_count", i(inPk)},
		{"rtp_audio_in_media_packet_count", i(st.inMedia)},
		{"rtp_audio_in_skip_packet_count", i(st.skip)},
		{"rtp_audio_in_jitter_packet_count", "0"},
		{"rtp_audio_in_dtmf_packet_count", i(st.inDTMF)},
		{"rtp_audio_in_cng_packet_count", "0"},
		{"rtp_audio_in_flush_packet_count", "0"},
		{"rtp_audio_in_largest_jb_size", "0"},
		{"rtp_audio_in_jitter_min_variance", "0.00"},
		{"rtp_audio_in_jitter_max_variance", "0.00"},
		{"rtp_audio_in_jitter_loss_rate", f(lossRate)},
		{"rtp_audio_in_jitter_burst_rate", "0.00"},
		{"rtp_audio_in_mean_interval", f(mean)},
		{"rtp_audio_in_flaw_total", i(flaws)},
		{"rtp_audio_in_quality_percentage", f(float64(r))},
		{"rtp_audio_in_mos", f(mos)},
		{"rtp_audio_out_raw_bytes", i(st.outMedia*rtpMediaBytes + st.outDTMF*rtpDTMFBytes)},
		{"rtp_audio_out_media_bytes", i(st.outMedia * rtpMediaBytes)},
		{"rtp_audio_out_packet_count", i(st.outMedia)},
		{"rtp_audio_out_media_packet_count", i(st.outMedia)},
		{"rtp_audio_out_skip_packet_count", "0"},
		{"rtp_audio_out_dtmf_packet_count", i(st.outDTMF)},
		{"rtp_audio_out_cng_packet_count", "0"},
		{"rtp_audio_rtcp_packet_count", "0"},
		{"rtp_audio_rtcp_octet_count", "0"},
	} {
		ch.setVar(kv[0], kv[1])
	}
}
