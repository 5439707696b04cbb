package fsemu

import (
	"testing"
	"time"
)

// The far ends of captures 18-20 are the captured server's own switchio
// context (em<ms>: pre_answer, sleep, park; emnoanswer: pre_answer,
// sleep 6 s, hangup NO_ANSWER; ring<ms>: ring_ready, sleep, park), which
// the emulated dialplan reproduces, so each capture's commands replay
// verbatim against one server. Besides replies, per-leg event order and
// header sets (compare), each test checks where every BACKGROUND_JOB
// falls: its result, how many of its A leg's events precede it, and its
// delay after the A leg's first event (compareJobs).
//
// When the job ends follows src/switch_ivr_originate.c (FreeSWITCH
// 1.10): early_ok starts true; ignore_early_media=true clears it, so only
// CF_ANSWERED ends the wait, while without it CF_EARLY_MEDIA does too; a
// CF_RING_READY (180 without SDP) ends it only with return_ring_ready.
// A peer that hangs up first makes the job fail with its cause.

// TestGoldenEarlyMediaAnswered follows capture 18_early_media_answered:
// with ignore_early_media=true the job says +OK only at CHANNEL_ANSWER;
// without it at CHANNEL_PROGRESS_MEDIA, 1.5 s before the answer, and the
// A leg parks (CHANNEL_EXECUTE park) while still early.
func TestGoldenEarlyMediaAnswered(t *testing.T) {
	g := runGolden(t, "18_early_media_answered", goldenOpts{}, nil)
	g.compareJobs(loadCapture(t, "18_early_media_answered"))
}

// TestGoldenEarlyMediaNeverAnswered follows capture
// 19_early_media_never_answered: with ignore_early_media=true the job
// ends -ERR NO_ANSWER when the far end hangs up (between the A leg's
// CHANNEL_HANGUP_COMPLETE and CHANNEL_DESTROY); without it +OK at early
// media, and the parked A leg later hangs up NO_ANSWER unanswered.
func TestGoldenEarlyMediaNeverAnswered(t *testing.T) {
	g := runGolden(t, "19_early_media_never_answered", goldenOpts{}, nil)
	g.compareJobs(loadCapture(t, "19_early_media_never_answered"))
}

// TestGoldenRingingThenAnswered follows capture 20_ringing_then_answered:
// a 180 without media (CHANNEL_PROGRESS, call state RINGING) never ends
// the job; it ends +OK at CHANNEL_ANSWER with or without
// ignore_early_media. The capture's heartbeat fell between the last
// hang-up and exit.
func TestGoldenRingingThenAnswered(t *testing.T) {
	const name = "20_ringing_then_answered"
	clock := NewVirtualClock(captureEpoch)
	cfg := goldenConfig(clock, "127.0.0.1:5080")
	// the first heartbeat after the last hang-up (4.645 s into the
	// dialog) and before exit (5.146 s)
	cfg.HeartbeatInterval = 4900 * time.Millisecond
	srv := RunT(t, cfg)
	capture := loadCapture(t, name)
	g := newGoldenRun(t, srv, clock, capture)
	g.drive(readTx(t, name), nil)
	g.compare(capture, goldenOpts{})
	g.compareJobs(capture)
}
