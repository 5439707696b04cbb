package measure

import (
	"strings"
	"time"
)

// Legs is a set of a call's legs.
type Legs uint8

// The legs of a call.
const (
	// LegCaller is the A leg, the one the test originated.
	LegCaller Legs = 1 << iota
	// LegCallee is the B leg, the one the far end received.
	LegCallee
	// BothLegs is LegCaller and LegCallee.
	BothLegs = LegCaller | LegCallee
)

// AudioReceiver is implemented by apps whose calls must carry audio:
// ReceivingLegs names the legs that must receive RTP while the call is
// answered (TonePlay: both, the caller hears its echo; an app that plays
// nothing: none, and it need not implement this). A parked leg sends
// nothing on a real FreeSWITCH (no send_silence_when_idle), so only what
// the app plays or echoes reaches the other leg.
//
// The calls of such an app get the rtp_ok and no_rtp verdicts from the
// legs' own counters (rtp_audio_in_media_packet_count), with no
// recording: a call with no audio at all is a media failure even when
// nothing records it.
type AudioReceiver interface {
	ReceivingLegs() Legs
}

// The RTP check's verdict columns.
const (
	// VerdictRTPOK is true when every leg that must receive audio
	// received RTP media: a media check (media_failed counts false).
	VerdictRTPOK = "rtp_ok"
	// VerdictNoRTP names the legs that received no RTP media packet
	// ("caller", "callee" or "caller,callee"; "" when none).
	VerdictNoRTP = "no_rtp"
)

// MinRTPCheck is the shortest answered time (the A leg's billmsec) a
// call must have for its RTP to be checked: a call ended within a second
// of its answer may not have had a packet yet (RTP starts with the first
// 20 ms frame after the 200 OK, but a play starts when the app reacts).
const MinRTPCheck = time.Second

// RTPVerdicts declares the RTP check's columns; loadtest.VerdictsOf adds
// them for runs with an AudioReceiver app.
func RTPVerdicts() []VerdictSpec {
	return []VerdictSpec{
		{Name: VerdictRTPOK, Kind: KindBool, Check: true,
			Doc: "every leg the app needs audio on received RTP media packets (rtp_audio_in_media_packet_count > 0); null for calls answered " + MinRTPCheck.String() + " or less, or whose legs' figures are missing"},
		{Name: VerdictNoRTP, Kind: KindString,
			Doc: "the legs (caller, callee) that should have received audio and received no RTP packet; \"\" when all did"},
	}
}

// CheckRTP sets the RTP check's verdicts on r for the legs that must
// receive audio. A leg whose figures are missing (no RTP session seen:
// a callee on a server not watched) is not checked; the check is left
// out (null) when no leg could be checked or the call was answered
// MinRTPCheck or less.
func CheckRTP(r *Record, legs Legs) {
	if legs == 0 || r.BillMsec == nil || time.Duration(*r.BillMsec)*time.Millisecond <= MinRTPCheck {
		return
	}
	var silent []string
	checked := false
	for _, l := range []struct {
		leg  Legs
		name string
		rtp  *RTP
	}{{LegCaller, "caller", r.CallerRTP}, {LegCallee, "callee", r.CalleeRTP}} {
		if legs&l.leg == 0 || l.rtp == nil {
			continue
		}
		checked = true
		if l.rtp.InPackets == 0 {
			silent = append(silent, l.name)
		}
	}
	if !checked {
		return
	}
	ok := len(silent) == 0
	text := strings.Join(silent, ",")
	if r.Verdicts == nil {
		r.Verdicts = map[string]Value{}
	}
	r.Verdicts[VerdictRTPOK] = Value{Bool: &ok}
	r.Verdicts[VerdictNoRTP] = Value{String: &text}
}
