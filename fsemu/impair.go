package fsemu

import (
	"fmt"
	"math"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// Impairments are faults in the media a server's channels receive (what
// they hear), so applications that check media (DTMF collection, bert,
// recordings) can be tested against a bad network or a broken far end.
// Each server has its own (Config.Impairments, Server.SetImpairments);
// draws come from the server's seed, so a run repeats exactly.
//
// The zero value impairs nothing. Validate checks a value; servers do not
// (they clamp shares to [0, 1]).
type Impairments struct {
	// DTMFDrop is the share of received DTMF digits lost, each digit
	// independently: its DTMF event never comes and it is not in the
	// channel's digits (digits_dialed).
	DTMFDrop float64
	// DTMFReorder is the share of received bursts of two or more digits
	// (one uuid_send_dtmf or send_dtmf) delivered with two adjacent digits
	// swapped, as packets overtaking each other would.
	DTMFReorder float64
	// AudioLoss is the share of received audio lost, in bursts of
	// LossBurst spread over the call: recordings of what a channel hears
	// have gaps of silence there, bert_test counts the lost samples as
	// errors (the effective loss is the larger of this and Link.Loss),
	// and the channel's RTP figures at hang-up count them as lost packets
	// (rtp_audio_in_flaw_total, a lower MOS).
	AudioLoss float64
	// LossBurst is the length of one loss burst (default 100 ms; shorter
	// than one 20 ms RTP packet counts as one packet).
	LossBurst time.Duration
	// Mute is the share of calls whose channel hears only silence: the far
	// end's audio never arrives (bert_test sees 100% loss; its RTP
	// figures show no media received).
	Mute float64
}

// defaultLossBurst is Impairments.LossBurst when it is zero.
const defaultLossBurst = 100 * time.Millisecond

// Validate reports the first thing wrong with im, in one line: a share
// that is not a number in [0, 1] or a negative burst length.
func (im Impairments) Validate() error {
	for _, x := range []struct {
		name string
		v    float64
	}{{"DTMF drop", im.DTMFDrop}, {"DTMF reorder", im.DTMFReorder}, {"audio loss", im.AudioLoss}, {"mute", im.Mute}} {
		if math.IsNaN(x.v) || x.v < 0 || x.v > 1 {
			return fmt.Errorf("%s %v is not a share in [0, 1]", x.name, x.v)
		}
	}
	if im.LossBurst < 0 {
		return fmt.Errorf("loss burst %v is negative", im.LossBurst)
	}
	return nil
}

// clean returns im with shares clamped to [0, 1] (NaN is 0) and the burst
// length defaulted and at least one RTP packet.
func (im Impairments) clean() Impairments {
	c := func(v float64) float64 {
		if math.IsNaN(v) || v < 0 {
			return 0
		}
		return min(v, 1)
	}
	im.DTMFDrop, im.DTMFReorder, im.AudioLoss, im.Mute = c(im.DTMFDrop), c(im.DTMFReorder), c(im.AudioLoss), c(im.Mute)
	if im.LossBurst <= 0 {
		im.LossBurst = defaultLossBurst
	}
	im.LossBurst = max(im.LossBurst, rtpPacketUS*time.Microsecond)
	return im
}

// impEpoch is a server's impairments from a time on (µs).
type impEpoch struct {
	from int64
	im   Impairments
}

// SetImpairments changes the server's impairments from now on: calls in
// progress are impaired by the new values from this moment (a recording
// running across the change has the old pattern before it).
func (s *Server) SetImpairments(im Impairments) {
	s.lock()
	defer s.unlock()
	s.cfg.Impairments = im
	now := s.nowMicros()
	// Epochs that ended before the oldest live channel existed can no
	// longer be asked for.
	oldest := now
	for _, ch := range s.channels {
		oldest = min(oldest, ch.created)
	}
	for len(s.imps) > 1 && s.imps[1].from <= oldest {
		s.imps = s.imps[1:]
	}
	s.imps = append(s.imps, impEpoch{from: now, im: im.clean()})
}

// impairments is the server's current setting.
func (s *Server) impairments() Impairments { return s.imps[len(s.imps)-1].im }

// receiveDTMF applies the receiving server's DTMF impairments to a burst
// of digits: maybe two adjacent digits swapped, then each digit maybe
// lost. It returns what arrives in each digit's slot, 0 where the digit
// was lost. The random source is used only when a share is set.
func (s *Server) receiveDTMF(digits []byte) []byte {
	im := s.impairments()
	b := append([]byte(nil), digits...)
	if im.DTMFReorder > 0 && len(b) >= 2 && s.rng.Float64() < im.DTMFReorder {
		i := s.rng.Intn(len(b) - 1)
		b[i], b[i+1] = b[i+1], b[i]
	}
	if im.DTMFDrop > 0 {
		for i := range b {
			if s.rng.Float64() < im.DTMFDrop {
				b[i] = 0
			}
		}
	}
	return b
}

// span is a time interval [from, to) in µs.
type span struct{ from, to int64 }

// mix64 is splitmix64's finaliser: a well-spread hash of x.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unitHash maps (seed, a, b) to a number in [0, 1).
func unitHash(seed, a, b uint64) float64 {
	h := mix64(seed ^ mix64(a+0x9e3779b97f4a7c15*mix64(b+1)))
	return float64(h>>11) / (1 << 53)
}

// impSeed is the channel's own seed for its loss pattern and mute draw:
// from the server's seed and the channel's creation number, so the same
// call of the same run has the same gaps whatever else happens.
func (ch *channel) impSeed() uint64 {
	return mix64(uint64(ch.s.cfg.Seed)*0x9e3779b97f4a7c15 + ch.seq)
}

// mutedCall reports whether the channel is one of the muted share of
// its server's current impairments.
func (ch *channel) mutedCall() bool {
	im := ch.s.impairments()
	return im.Mute > 0 && unitHash(ch.impSeed(), 0, 0) < im.Mute
}

// lostSpans returns, in time order and merged, the parts of [from, to)
// in which ch hears nothing because of its server's impairments: all of
// it while the call is one of the muted share, else the loss bursts. One
// burst of LossBurst falls at a random place in each period of
// LossBurst/AudioLoss counted from the channel's creation, so the loss
// is spread evenly over the call and its share is exact over whole
// periods.
func (ch *channel) lostSpans(from, to int64) []span {
	var out []span
	add := func(a, b int64) {
		if b <= a {
			return
		}
		if n := len(out); n > 0 && a <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, b)
			return
		}
		out = append(out, span{a, b})
	}
	imps := ch.s.imps
	seed := ch.impSeed()
	mute := unitHash(seed, 0, 0)
	for i, e := range imps {
		a, b := max(from, e.from), to
		if i+1 < len(imps) {
			b = min(b, imps[i+1].from)
		}
		if b <= a {
			continue
		}
		im := e.im
		switch {
		case im.Mute > 0 && mute < im.Mute, im.AudioLoss >= 1:
			add(a, b)
		case im.AudioLoss > 0:
			burst := im.LossBurst.Microseconds()
			period := max(int64(float64(burst)/im.AudioLoss), burst)
			origin := ch.created
			k := (a - origin) / period
			if a < origin {
				k = -((origin - a + period - 1) / period)
			}
			for ; origin+k*period < b; k++ {
				start := origin + k*period
				at := start + int64(unitHash(seed, uint64(k), uint64(period))*float64(period-burst))
				add(max(at, a), min(at+burst, b))
			}
		}
	}
	return out
}

// audioFX is the state of a channel's uuid_audio media bug
// (switch_ivr_async.c switch_session_audio_t): per direction a mute
// (0 off, 1 silence, more: comfort noise of that divisor) and a volume
// level (-4..4).
type audioFX struct {
	readMute, writeMute, readLevel, writeLevel int
}

func (fx audioFX) idle() bool {
	return fx.readMute == 0 && fx.writeMute == 0 && fx.readLevel == 0 && fx.writeLevel == 0
}

// fxSpan is the uuid_audio state over [from, to) (to 0: still on) and the
// media bug that applied it.
type fxSpan struct {
	from, to int64
	fx       audioFX
	bug      uint64
}

// audioBug is the channel's uuid_audio media bug ("__audio").
type audioBug struct {
	seq    uint64 // order among the channel's media bugs
	target string // Media-Bug-Target: the command that created it
	fx     audioFX
}

// nextBug numbers a new media bug of the channel: FreeSWITCH runs a
// channel's bugs in the order they were added (switch_core_media_bug_add
// appends).
func (ch *channel) nextBug() uint64 {
	ch.media.bugSeq++
	return ch.media.bugSeq
}

// sessionAudio is uuid_audio's "start <read|write> <mute|level> <n>"
// and set_mute's "<read|write|both> <n>" (switch_ivr_session_audio): the
// first call adds the "audio" media bug
// (MEDIA_BUG_START, target the command), later ones change its state.
// "mute n" sets the direction's mute to n and its level to 0; "level n"
// sets the level only when -5 < n < 5. A state with nothing left on
// removes the bug (session_audio_callback returns false at the next
// frame).
func (ch *channel) sessionAudio(cmd, dir string, level int) {
	if !ch.answered && !ch.early {
		ch.preAnswerLocal() // switch_channel_pre_answer
	}
	b := ch.media.audio
	if b == nil {
		b = &audioBug{seq: ch.nextBug(), target: cmd}
	}
	fx := b.fx
	read, write := dir == "read" || dir == "both", dir == "write" || dir == "both"
	switch cmd {
	case "mute":
		if read {
			fx.readMute, fx.readLevel = level, 0
		}
		if write {
			fx.writeMute, fx.writeLevel = level, 0
		}
	case "level":
		if level < 5 && level > -5 {
			if read {
				fx.readLevel = level
			}
			if write {
				fx.writeLevel = level
			}
		}
	}
	b.fx = fx
	if ch.media.audio == nil {
		ch.media.audio = b
		ch.emit(evBugStart, nil, []wire.Header{{Name: "Media-Bug-Function", Value: "audio"},
			{Name: "Media-Bug-Target", Value: b.target}})
	}
	ch.setFX(fx, b.seq)
	if fx.idle() {
		ch.stopSessionAudio()
	}
}

// stopSessionAudio removes the uuid_audio media bug
// (switch_ivr_stop_session_audio); it reports whether there was one.
func (ch *channel) stopSessionAudio() bool {
	b := ch.media.audio
	if b == nil {
		return false
	}
	ch.media.audio = nil
	ch.setFX(audioFX{}, 0)
	ch.emit(evBugStop, nil, []wire.Header{{Name: "Media-Bug-Function", Value: "audio"},
		{Name: "Media-Bug-Target", Value: b.target}})
	return true
}

// setFX ends the current uuid_audio span now and starts one with fx.
func (ch *channel) setFX(fx audioFX, bug uint64) {
	now := ch.s.nowMicros()
	if n := len(ch.media.fx); n > 0 && ch.media.fx[n-1].to == 0 {
		ch.media.fx[n-1].to = now
		if ch.media.fx[n-1].from == now {
			ch.media.fx = ch.media.fx[:n-1]
		}
	}
	if !fx.idle() {
		ch.media.fx = append(ch.media.fx, fxSpan{from: now, fx: fx, bug: bug})
	}
	if len(ch.media.fx) > 256 { // a bound on a channel muted and unmuted for ever
		ch.media.fx = ch.media.fx[len(ch.media.fx)-256:]
	}
}
