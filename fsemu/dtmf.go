package fsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// DTMF sending, timed as FreeSWITCH 1.10.12 sends a uuid_send_dtmf or
// send_dtmf burst over RTP (RFC 2833).
//
// switch_core_io.c switch_core_session_send_dtmf_string splits the string
// on '+', each part's "@<ms>" setting its digits' duration (default
// default_dtmf_duration, 2000 samples), and queues the digits on the leg's RTP session. In
// switch_rtp.c do_2833 sends a digit in 20 ms packets for its duration,
// then set_dtmf_delay(interdigit_delay, interdigit_delay * 10) holds the
// next one back: interdigit_delay is sofia's rtp_digit_delay (the profile's
// rtp-digit-delay, default 40 ms in sofia.c, or the channel variable of
// that name, read in switch_core_media.c at media activation). 'w' and 'W'
// pause 500 ms and 1 s. The receiving leg raises its DTMF event when a
// digit's end packet arrives.
//
// The hold-back is not the setting itself: the delay is released by the
// leg's next audio packet, or at 10 x the setting, so a parked leg (which
// sends no audio) waits longer. Measured on 1.10.12, a parked leg sending
// "1234" to a parked, answered leg (sofia/external, loopback on one host),
// Event-Date-Timestamp of the receiving leg's DTMF events:
//
//	duration            rtp_digit_delay  first event after send  between events
//	250 ms (default)    40 (default)     282 ms                  520, 520, 520 ms
//	100 ms              40               131 ms                  420, 440, 460 ms
//	500 ms              40               505 ms                  720, 640, 640 ms
//	1 s                 40               1.03 s                  1000, 1000, 1000 ms
//	250 ms              0                344 ms                  260, 260, 260 ms
//	250 ms              200              293 ms                  2120, 2120 ms
//
// The same spacing is in capture 06 (sofia, "12#": 520 ms apart). The
// emulator sends each digit for its duration rounded up to whole 20 ms
// packets and holds the next one back by digitHold, fitted to those
// figures.

// A loopback leg has no RTP: mod_loopback queues each digit on its other
// leg, which dequeues one per 20 ms frame it reads (capture 08, "12#":
// events 21, 41 and 61 ms after the command). A leg that is playing audio meanwhile releases digits sooner
// (40 ms apart and less on the real server); the emulator does not model
// that.

const (
	// defaultDigitDelay is sofia's rtp_digit_delay (ms).
	defaultDigitDelay = 40
	// defaultDTMFSamples is FreeSWITCH's default_dtmf_duration.
	defaultDTMFSamples = 2000
)

// digitHold is how long a leg's RTP holds the next digit back after one
// of pkt (its packet time) with rtp_digit_delay ms: 10 x the delay less
// 140 ms and less 0.4 x the time the digit ran past 260 ms, within
// [0, 10 x delay]; it reproduces the table above within 40 ms.
func digitHold(delayMS int, pkt time.Duration) time.Duration {
	maxHold := time.Duration(delayMS) * 10 * time.Millisecond
	h := maxHold - 140*time.Millisecond - (pkt-260*time.Millisecond)*2/5
	return min(max(h, 0), maxHold)
}

// dtmfDigit is one digit of a burst: when its end reaches the far leg,
// relative to the send, and its DTMF-Duration.
type dtmfDigit struct {
	digit    byte
	at       time.Duration
	duration string
}

// loopbackFrame is a loopback leg's frame: one digit per frame.
const loopbackFrame = 20 * time.Millisecond

// dtmfSchedule lays out a burst as do_2833 sends it (or, with loopback,
// as a loopback leg reads it), starting after start (when the leg's
// previous burst has let go, 0 if idle): each digit's arrival and the
// time the next digit may start (after the last one's hold).
func dtmfSchedule(burst string, delayMS int, loopback bool, start time.Duration) ([]dtmfDigit, time.Duration) {
	var out []dtmfDigit
	t := start
	for _, part := range strings.Split(burst, "+") {
		samples := dtmfSamples(defaultDTMFSamples / 8)
		if i := strings.IndexByte(part, '@'); i >= 0 {
			if ms, err := strconv.Atoi(part[i+1:]); err == nil && ms > 0 {
				samples = dtmfSamples(ms)
			}
			part = part[:i]
		}
		pkt := time.Duration(samples/8) * time.Millisecond
		for j := 0; j < len(part); j++ {
			switch d := part[j]; d {
			case 'w':
				t += 500 * time.Millisecond
			case 'W':
				t += time.Second
			default:
				if loopback {
					t += loopbackFrame
				} else {
					t += pkt
				}
				out = append(out, dtmfDigit{digit: d, at: t, duration: strconv.Itoa(samples)})
				if !loopback {
					// set_dtmf_delay holds back whatever digit comes next
					t += digitHold(delayMS, pkt)
				}
			}
		}
	}
	return out, t
}

// dtmfSamples is the DTMF-Duration the far end reports for a digit sent
// for ms milliseconds: 8 kHz samples, clamped to FreeSWITCH's default
// min/max_dtmf_duration (400 and 192000), rounded up to whole 20 ms RTP
// packets (the default 2000 samples arrive as 2080).
func dtmfSamples(ms int) int {
	n := min(max(ms, 1), 192000/8) * 8
	n = max(n, 400)
	return (n + 159) / 160 * 160
}

// sendDTMF sends digits to the far end of the channel, timed as above,
// after any burst the leg is still sending. The far leg raises a DTMF
// event (source RTP) as each digit that arrives ends: the far server's
// Impairments may lose digits or swap two. Digits still queued when
// either leg hangs up never arrive.
func (ch *channel) sendDTMF(digits string) {
	far := ch.peer
	if far == nil {
		far = ch.bridged
	}
	if far == nil {
		return
	}
	delay := defaultDigitDelay
	if v, ok := ch.getVar("rtp_digit_delay"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			delay = max(n, 0)
		}
	}
	now := ch.s.nowMicros()
	start := time.Duration(max(ch.dtmfFree-now, 0)) * time.Microsecond
	sched, free := dtmfSchedule(digits, delay, ch.endpoint == "loopback", start)
	if len(sched) == 0 {
		return
	}
	ch.dtmfFree = now + free.Microseconds()
	ch.setVar("last_dtmf_duration", sched[len(sched)-1].duration)
	fs := far.s
	// what arrives: the receiving server's DTMF impairments, drawn for
	// the burst as it is sent
	sent := make([]byte, len(sched))
	for i, d := range sched {
		sent[i] = d.digit
	}
	got := fs.receiveDTMF(sent)
	ch.s.net.reply(ch.s, fs, func() { far.arriveDTMF(ch, sched, got, 0, 0) })
}

// arriveDTMF delivers digit i of a burst and schedules the next, one
// timer after the other so digits never overtake each other; prev is when
// the previous one arrived (relative to the send).
func (far *channel) arriveDTMF(from *channel, sched []dtmfDigit, got []byte, i int, prev time.Duration) {
	far.after(sched[i].at-prev, func() {
		if far.gone() || from.gone() {
			return
		}
		if d := got[i]; d != 0 { // 0: lost on the way
			far.dtmfs += string(d)
			far.emit(evDTMF, nil, []wire.Header{{Name: "DTMF-Digit", Value: string(d)},
				{Name: "DTMF-Duration", Value: sched[i].duration}, {Name: "DTMF-Source", Value: "RTP"}})
			far.dtmfArrived(rune(d))
		}
		if i+1 < len(sched) {
			far.arriveDTMF(from, sched, got, i+1, sched[i].at)
		}
	})
}
