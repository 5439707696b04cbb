package fsemu

import (
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// TestPlaybackInOriginateWindow: an A leg answered by its far end stays
// in its originate (CS_CONSUME_MEDIA) until the originate loop's next
// look, originatePoll later (capture 06: CHANNEL_ANSWER at ...283379 µs,
// BACKGROUND_JOB and CHANNEL_PARK at ...303353). A playback sent in that
// window runs in the originate's thread and plays nothing, as on a real
// FreeSWITCH 1.10.12 (a sendmsg playback right after the A leg's
// CHANNEL_ANSWER: CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE "PLAYBACK
// ERROR" in CS_CONSUME_MEDIA, rtp_audio_out_packet_count 0); one sent
// once the leg is parked plays.
func TestPlaybackInOriginateWindow(t *testing.T) {
	const id = "f00d0000-0000-0000-0000-0000000000aa"
	c, clock := vcluster(t, Inbound{AnswerDelay: 500 * time.Millisecond, Action: "answer"})
	fs1, fs2 := c.Server(0), c.Server(1)
	conn := dialESL(t, fs1)
	if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_EXECUTE_COMPLETE", "PLAYBACK_START"); err != nil {
		t.Fatal(err)
	}
	res := startOriginate(fs1, "{origination_uuid="+id+"}sofia/external/1000@"+fs2.SIPAddr()+" &park()")
	for d := time.Duration(0); d < time.Second; d += 10 * time.Millisecond {
		if a, ok := fs1.Channel(id); ok && a.AnswerState == "answered" {
			break
		}
		clock.Advance(10 * time.Millisecond)
	}
	ans := waitFor(t, conn, func(e *wire.Event) bool { return e.Name() == "CHANNEL_ANSWER" && e.Get("Unique-ID") == id })
	if st := ans.Get("Channel-State"); st != "CS_CONSUME_MEDIA" {
		t.Fatalf("the A leg answered in %s, want CS_CONSUME_MEDIA (its originate still running)", st)
	}
	if err := conn.Execute(ctxT(t), id, "playback", "tone_stream://%(1000,0,440)"); err != nil {
		t.Fatal(err)
	}
	done := waitFor(t, conn, named("CHANNEL_EXECUTE_COMPLETE"))
	if got := done.Get("Application-Response"); got != "PLAYBACK ERROR" || done.Get("Channel-State") != "CS_CONSUME_MEDIA" {
		t.Fatalf("playback in the originate window: %q in %s, want PLAYBACK ERROR in CS_CONSUME_MEDIA",
			got, done.Get("Channel-State"))
	}
	clock.Advance(originatePoll)
	if r := <-res; r != "+OK "+id+"\n" {
		t.Fatalf("originate: %q", r)
	}
	waitFor(t, conn, func(e *wire.Event) bool { return e.Name() == "CHANNEL_PARK" && e.Get("Unique-ID") == id })
	if err := conn.Execute(ctxT(t), id, "playback", "tone_stream://%(1000,0,440)"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, conn, named("PLAYBACK_START"))
}
