package fsemu

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/switchio/switchio/audio"
)

// capture21 is the clip PlayRec played in capture 21 and the times of
// its plays' PLAYBACK_STOPs, from RECORD_START (Event-Date-Timestamp of
// the capture's events: recording started at 1796627250018282, plays
// ended at ...251538296, ...253038270, ...254578276, ...256078272 and
// ...257618273, then uuid_kill).
var capture21 = struct {
	clip  string
	stops []time.Duration
}{
	clip:  audio.TestSignal().ToneStream(),
	stops: []time.Duration{1520 * time.Millisecond, 3020 * time.Millisecond, 4560 * time.Millisecond, 6060 * time.Millisecond, 7600 * time.Millisecond},
}

// TestRecordingReplaysCapture21 replays capture 21's call on fsemu: both
// legs recorded with both directions mixed (FreeSWITCH's default), the
// test signal played by the caller, then the callee, and so on, each play
// starting at the previous one's PLAYBACK_STOP. The called leg hears the
// caller from the start, so its read stream fills the media bug's
// pre-buffer (mediabug.go) and its own plays are mixed ~500 ms early: its
// recording, like the real one (testdata/captures/21_playrec_recorded.
// callee.wav), has a silence of ~500 ms after each of its plays and is
// ~460 ms shorter than the caller's, and the check PlayRec made of mixed
// recordings finds the same two dropouts in both. The caller's recording
// is continuous in both.
func TestRecordingReplaysCapture21(t *testing.T) {
	c, clock, b := impairedCall(t, 2, Impairments{}, "")
	fs1, fs2 := c.Server(0), c.Server(1)
	dir := t.TempDir()
	recA, recB := filepath.Join(dir, "caller.wav"), filepath.Join(dir, "callee.wav")
	api(t, fs1, "uuid_record "+impairA+" start "+recA, "+OK Success\n")
	api(t, fs2, "uuid_record "+b+" start "+recB, "+OK Success\n")
	clock.Advance(20 * time.Millisecond) // the first sendmsg, one tick after (capture: t=58 and t=60 ms)
	at := 20 * time.Millisecond
	for i, stop := range capture21.stops {
		s, id := fs1, impairA
		if i%2 == 1 {
			s, id = fs2, b
		}
		api(t, s, "uuid_broadcast "+id+" "+capture21.clip+" aleg", "+OK Message sent\n")
		clock.Advance(stop - at)
		at = stop
	}
	api(t, fs1, "uuid_kill "+impairA, "+OK\n")
	clock.Advance(100 * time.Millisecond)

	mixed := audio.Expect{Signal: audio.TestSignal(), MaxGap: 150 * time.Millisecond} // PlayRec's check before it read what each leg hears
	analyse := func(path string) (audio.Analysis, time.Duration) {
		t.Helper()
		clip, err := audio.ReadWAV(path)
		if err != nil {
			t.Fatal(err)
		}
		return audio.Analyze(clip, mixed), clip.Duration()
	}
	realA, durRealA := analyse("../testdata/captures/21_playrec_recorded.caller.wav")
	realB, durRealB := analyse("../testdata/captures/21_playrec_recorded.callee.wav")
	emuA, durA := analyse(recA)
	emuB, durB := analyse(recB)
	t.Logf("real: caller %v %q, callee %v %q (%v shorter)", durRealA, realA.Reason, durRealB, realB.Reason, durRealA-durRealB)
	t.Logf("fsemu: caller %v %q, callee %v %q (%v shorter)", durA, emuA.Reason, durB, emuB.Reason, durA-durB)
	if !realA.OK || realB.OK || realB.Dropouts != 2 {
		t.Fatalf("the capture's recordings: caller %+v, callee %+v", realA, realB)
	}
	if emuA.OK != realA.OK || emuB.OK != realB.OK || emuB.Dropouts != realB.Dropouts {
		t.Errorf("fsemu's recordings judged otherwise than the real ones: caller %q, callee %q", emuA.Reason, emuB.Reason)
	}
	if d := (emuB.LongestGap - realB.LongestGap).Abs(); d > 60*time.Millisecond {
		t.Errorf("callee's longest gap %v, the real one %v", emuB.LongestGap, realB.LongestGap)
	}
	if d := ((durA - durB) - (durRealA - durRealB)).Abs(); d > 60*time.Millisecond {
		t.Errorf("callee's recording %v shorter than the caller's, the real one %v", durA-durB, durRealA-durRealB)
	}
}

// TestMediaBugLengths holds the media bug's frame model to what a real
// FreeSWITCH 1.10.12 wrote (opt-in cmd run against build.sh's server,
// uuid_record on the called leg of a sofia call): a 3 s recording whose
// leg hears a tone from the start and plays its own from 1 s on is 2.56 s
// long mixed and 2.54 s in stereo (the hearing stream's 25-frame
// pre-buffer is never read out: the close drains only while both streams
// hold data), 3.04 s hearing only, 3.00 and 3.02 s with
// RECORD_PRE_BUFFER_FRAMES=1; a 2 s recording where both play from the
// start is 1.84 s writing only (the write stream's backlog is tossed
// down to two frames, switch_core_media_bug_read) and 2.04 s reading
// only. Real lengths carry the server's scheduling (±3 frames).
func TestMediaBugLengths(t *testing.T) {
	for _, tc := range []struct {
		name        string
		read, write bool
		pre         int
		ticks       int
		writeFrom   int // tick the leg starts sending
		real        time.Duration
	}{
		{"late own play, mixed", true, true, 25, 150, 50, 2560 * time.Millisecond},
		{"late own play, read only", true, false, 25, 150, 50, 3040 * time.Millisecond},
		{"late own play, pre-buffer 1", true, true, 1, 150, 50, 3000 * time.Millisecond},
		{"both play, write only", false, true, 25, 100, 1, 1840 * time.Millisecond},
		{"both play, read only", true, false, 25, 100, 1, 2040 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames, _ := recordFrames(tc.ticks, tc.read, tc.write, tc.pre,
				func(k int) bool { return k >= tc.writeFrom }, func(int) bool { return false })
			got := time.Duration(len(frames)) * 20 * time.Millisecond
			if d := (got - tc.real).Abs(); d > 60*time.Millisecond {
				t.Errorf("%v, the real server wrote %v", got, tc.real)
			}
			// frames come out in order on each stream
			lastR, lastW := -1, -1
			for _, f := range frames {
				if f.read >= 0 && f.read <= lastR || f.write >= 0 && f.write <= lastW {
					t.Fatalf("out of order: %+v after %d, %d", f, lastR, lastW)
				}
				lastR, lastW = max(lastR, f.read), max(lastW, f.write)
			}
		})
	}
}
