package fsemu

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
)

// The media impairments are not FreeSWITCH behaviour; what they act on is.
// Each test names the FreeSWITCH source or capture the emulated behaviour
// comes from (the source is FreeSWITCH v1.10.12, the captured version).

const impairA = "1a000000-0000-0000-0000-000000000001"

// impairedCall places an answered sofia call from fs1 to fs2 on a virtual
// clock, the A leg impairA on fs1 and the B leg (returned) on fs2, with
// cfg's impairments on both servers and extra originate variables.
func impairedCall(t *testing.T, servers int, im Impairments, vars string) (*Cluster, *VirtualClock, string) {
	t.Helper()
	clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	c := RunClusterT(t, servers, Config{Clock: clock, HeartbeatInterval: -1, Inbound: Inbound{Action: "answer"}, Impairments: im})
	if vars != "" {
		vars = "," + vars
	}
	app := "&park()"
	if strings.Contains(vars, "bert") {
		app = "&bert_test()"
	}
	res := bgOriginate(c.Server(0), "{origination_uuid="+impairA+vars+"}sofia/external/1000@"+c.Server(1).SIPAddr()+" "+app)
	if got := waitResult(t, res, clock, 10*time.Millisecond); got != "+OK "+impairA+"\n" {
		t.Fatalf("originate: %q", got)
	}
	return c, clock, c.Server(1).Channels()[0].UUID
}

// api runs an api command on s and checks its reply.
func api(t *testing.T, s *Server, cmd, want string) {
	t.Helper()
	if got := apiText(s, cmd); got != want {
		t.Fatalf("%s: %q, want %q", cmd, got, want)
	}
}

// untilHangup gathers c's events up to the CHANNEL_HANGUP_COMPLETE of id.
func untilHangup(t *testing.T, c *esl.Conn, id string) []*wire.Event {
	t.Helper()
	var evs []*wire.Event
	waitFor(t, c, func(e *wire.Event) bool {
		evs = append(evs, e)
		return e.Name() == "CHANNEL_HANGUP_COMPLETE" && e.UniqueID() == id
	})
	return evs
}

// TestImpairDTMF: DTMFDrop and DTMFReorder act on the digits the far leg
// receives, before its DTMF events and its digit log. What is emulated:
// uuid_send_dtmf on one leg raises one DTMF event per digit on the leg at
// the other end, on the other server (capture 16, DTMF across two
// servers; capture 06, "uuid_send_dtmf 12#" gives three DTMF events,
// switch_channel.c switch_channel_dequeue_dtmf), and the digits received
// are digits_dialed at hang-up ("none" without any; switch_channel.c
// switch_channel_set_timestamps, from the dtmf_log_queue).
func TestImpairDTMF(t *testing.T) {
	tens := strings.Split(strings.TrimSuffix(strings.Repeat("0123456789 ", 20), " "), " ")
	cases := []struct {
		name   string
		im     Impairments
		bursts []string
		check  func(t *testing.T, sent, got string)
	}{
		{"none", Impairments{}, []string{"12#", "*0"}, func(t *testing.T, sent, got string) {
			if got != sent {
				t.Fatalf("got %q, want %q", got, sent)
			}
		}},
		{"all dropped", Impairments{DTMFDrop: 1}, []string{"1234", "5"}, func(t *testing.T, sent, got string) {
			if got != "" {
				t.Fatalf("got %q, want nothing", got)
			}
		}},
		{"half dropped over 200 digits", Impairments{DTMFDrop: 0.5}, tens, func(t *testing.T, sent, got string) {
			if len(got) < 70 || len(got) > 130 {
				t.Fatalf("%d of %d digits arrived, want 70-130", len(got), len(sent))
			}
			// what arrives is in the order sent
			i := 0
			for j := 0; j < len(sent) && i < len(got); j++ {
				if sent[j] == got[i] {
					i++
				}
			}
			if i != len(got) {
				t.Fatalf("%q is not a subsequence of what was sent", got)
			}
		}},
		{"reordered", Impairments{DTMFReorder: 1}, []string{"1234"}, func(t *testing.T, sent, got string) {
			swaps := 0
			for i := 0; i < len(sent); i++ {
				if i+1 < len(sent) && got[i] == sent[i+1] && got[i+1] == sent[i] {
					swaps++
					i++
				} else if got[i] != sent[i] {
					t.Fatalf("got %q from %q: not one adjacent swap", got, sent)
				}
			}
			if len(got) != len(sent) || swaps != 1 {
				t.Fatalf("got %q from %q: %d swaps", got, sent, swaps)
			}
		}},
		{"a single digit is never reordered", Impairments{DTMFReorder: 1}, []string{"7", "8"}, func(t *testing.T, sent, got string) {
			if got != sent {
				t.Fatalf("got %q, want %q", got, sent)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, clock, b := impairedCall(t, 2, tc.im, "")
			fs1, fs2 := c.Server(0), c.Server(1)
			conn := dialESL(t, fs2)
			if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "DTMF", "CHANNEL_HANGUP_COMPLETE"); err != nil {
				t.Fatal(err)
			}
			for _, d := range tc.bursts {
				api(t, fs1, "uuid_send_dtmf "+impairA+" "+d, "+OK "+impairA+" sent DTMF "+d+".\n")
			}
			// the bursts go out one after the other, 520 ms a digit
			clock.Advance(time.Duration(len(strings.Join(tc.bursts, ""))+1) * 520 * time.Millisecond)
			api(t, fs1, "uuid_kill "+impairA, "+OK\n")
			var got string
			evs := untilHangup(t, conn, b)
			for _, e := range evs {
				if e.Name() == "DTMF" && e.UniqueID() == b {
					got += e.Get("DTMF-Digit")
				}
			}
			sent := strings.Join(tc.bursts, "")
			tc.check(t, sent, got)
			want := got
			if want == "" {
				want = "none"
			}
			if dd := evs[len(evs)-1].Var("digits_dialed"); dd != want {
				t.Fatalf("digits_dialed %q, want %q (the DTMF events')", dd, want)
			}
		})
	}
}

// readWAV reads a recording: its samples (interleaved) and channels.
func readWAV(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, rate, ch, bits := parseWAV(data)
	if rate != sampleRate || bits != 16 {
		t.Fatalf("%s: rate %d bits %d", path, rate, bits)
	}
	return s, ch
}

// channelOf is channel i of interleaved samples.
func channelOf(s []int16, i, channels int) []int16 {
	out := make([]int16, 0, len(s)/channels)
	for j := i; j < len(s); j += channels {
		out = append(out, s[j])
	}
	return out
}

// zeroRuns counts the runs of at least min zero samples and their total.
func zeroRuns(s []int16, min int) (runs, total int) {
	n := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == 0 {
			n++
			continue
		}
		if n >= min {
			runs++
			total += n
		}
		n = 0
	}
	return runs, total
}

func rmsOf(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// crossings counts sign changes: twice the frequency per second of a tone.
func crossings(s []int16) int {
	n := 0
	for i := 1; i < len(s); i++ {
		if (s[i-1] < 0) != (s[i] < 0) {
			n++
		}
	}
	return n
}

// TestImpairAudio: AudioLoss and Mute act on what a channel hears, as its
// recordings show; what it sends is not impaired. What is emulated: a
// recording of the read stream (RECORD_READ_ONLY, switch_ivr_async.c
// switch_ivr_record_session_event) holds the far end's audio, here a tone
// the A leg plays (uuid_broadcast, capture 06's PLAYBACK_START/STOP), and
// RECORD_WRITE_ONLY what the channel itself plays.
func TestImpairAudio(t *testing.T) {
	const gap = 640 // 80 ms of zeros
	cases := []struct {
		name               string
		im                 Impairments
		tone               time.Duration
		own                bool // B plays and records what it sends
		minGaps, maxGaps   int
		minShare, maxShare float64
	}{
		{"none", Impairments{}, 4 * time.Second, false, 0, 0, 0, 0},
		{"10% loss", Impairments{AudioLoss: 0.1}, 4 * time.Second, false, 1, 100, 0.05, 0.2},
		// one 100 ms burst in every 2 s
		{"5% in 100 ms bursts over 10 s", Impairments{AudioLoss: 0.05, LossBurst: 100 * time.Millisecond},
			10 * time.Second, false, 4, 6, 0.03, 0.07},
		{"muted call", Impairments{Mute: 1}, 4 * time.Second, false, 1, 1, 1, 1},
		{"what the channel sends is not impaired", Impairments{AudioLoss: 0.5, Mute: 1}, 4 * time.Second, true, 0, 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, clock, b := impairedCall(t, 2, Impairments{}, "")
			fs1, fs2 := c.Server(0), c.Server(1)
			fs2.SetImpairments(tc.im)
			clock.Advance(300 * time.Millisecond)
			path := filepath.Join(t.TempDir(), "rec.wav")
			opt, player, srv := "{RECORD_READ_ONLY=true}", impairA, fs1
			if tc.own {
				opt, player, srv = "{RECORD_WRITE_ONLY=true}", b, fs2
			}
			api(t, fs2, "uuid_record "+b+" start "+path+" 0 "+opt, "+OK Success\n")
			api(t, srv, "uuid_broadcast "+player+" tone_stream://%("+strconv.FormatInt(tc.tone.Milliseconds(), 10)+",0,440) aleg", "+OK Message sent\n")
			clock.Advance(tc.tone)
			api(t, fs2, "uuid_record "+b+" stop "+path, "+OK Success\n")
			s, channels := readWAV(t, path)
			want := int(tc.tone.Seconds() * sampleRate)
			if tc.own {
				// Writing only, the media bug tosses the write stream's
				// pre-buffer down to two frames (mediabug.go): 11 or 12
				// frames, ~230 ms (a real FreeSWITCH lost 160 ms of 2 s).
				want -= 11 * 160
			}
			if channels != 1 || len(s) != want {
				t.Fatalf("%d channels, %d samples, want %d", channels, len(s), want)
			}
			runs, total := zeroRuns(s, gap)
			share := float64(total) / float64(len(s))
			if runs < tc.minGaps || runs > tc.maxGaps || share < tc.minShare || share > tc.maxShare {
				t.Fatalf("%d gaps, %.3f of the recording; want %d-%d gaps, %.2f-%.2f", runs, share,
					tc.minGaps, tc.maxGaps, tc.minShare, tc.maxShare)
			}
			t.Logf("%d gaps, %.3f", runs, share)
			if share < 1 && rmsOf(s) < 1000 {
				t.Fatalf("the tone is missing (rms %.0f)", rmsOf(s))
			}
		})
	}
}

// TestImpairAudioRepeats: the same call of the same run has the same gaps
// (the pattern comes from the server's seed and the call's place in the
// run, measured from the channel's creation), another call others. The
// pattern is compared on the channel's own timeline: the virtual clock
// is stepped while the originate completes, so when the call starts on
// it varies from run to run.
func TestImpairAudioRepeats(t *testing.T) {
	pattern := func(calls int) []span {
		c, clock, _ := impairedCall(t, 2, Impairments{AudioLoss: 0.2}, "")
		fs1, fs2 := c.Server(0), c.Server(1)
		for i := 1; i < calls; i++ { // more calls before the one looked at
			res := bgOriginate(fs1, "sofia/external/1000@"+fs2.SIPAddr()+" &park()")
			waitResult(t, res, clock, 10*time.Millisecond)
		}
		id := fs2.Channels()[calls-1].UUID
		fs2.lock()
		defer fs2.unlock()
		ch := fs2.channels[id]
		spans := ch.lostSpans(ch.created, ch.created+int64(3*time.Second/time.Microsecond))
		for k := range spans {
			spans[k].from -= ch.created
			spans[k].to -= ch.created
		}
		return spans
	}
	first, again, other := pattern(1), pattern(1), pattern(2)
	if len(first) < 2 || !slices.Equal(first, again) {
		t.Fatalf("the same call lost different audio: %v, then %v", first, again)
	}
	if slices.Equal(first, other) {
		t.Fatal("another call had the same gaps")
	}
}

// TestUUIDAudioMute: "uuid_audio <uuid> start write mute <n>" makes the
// channel send silence until "uuid_audio <uuid> stop", so its far end's
// recording is silent for that time. From FreeSWITCH:
// mod_commands.c session_audio_function (the syntax, "+OK") calls
// switch_ivr_session_audio (switch_ivr_async.c), which adds a media bug
// "audio" (MEDIA_BUG_START, target the command) whose
// session_audio_callback zeroes each written frame for mute 1 and fills
// it with switch_generate_sln_silence's comfort noise for a larger mute
// (switch_resample.c); switch_ivr_stop_session_audio removes the bug
// (MEDIA_BUG_STOP). The muted channel's own recording keeps what it sends
// when the recording's bug came first: switch_core_media.c
// switch_core_session_write_frame takes each bug's write stream, then
// lets it replace the frame, in the order the bugs were added.
func TestUUIDAudioMute(t *testing.T) {
	cases := []struct {
		name      string
		mute      string
		bugFirst  bool // the audio bug is added before A's recording
		noise     bool // the muted part is comfort noise, not zeros
		ownMuted  bool // A's own recording has the muted part too
		farMuted  bool
		wantReply string
	}{
		{"mute 1, A recording first", "1", false, false, false, true, "+OK\n"},
		{"mute 1, audio bug first", "1", true, false, true, true, "+OK\n"},
		{"mute 10 is comfort noise", "10", false, true, false, true, "+OK\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, clock, b := impairedCall(t, 2, Impairments{}, "")
			fs1, fs2 := c.Server(0), c.Server(1)
			conn := dialESL(t, fs1)
			if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "MEDIA_BUG_START", "MEDIA_BUG_STOP"); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			recA, recB := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
			mute := "uuid_audio " + impairA + " start write mute " + tc.mute
			if tc.bugFirst {
				// a level of 0 keeps the bug (the mute comes later)
				api(t, fs1, "uuid_audio "+impairA+" start write level 1", "+OK\n")
			}
			api(t, fs1, "uuid_record "+impairA+" start "+recA, "+OK Success\n")
			api(t, fs2, "uuid_record "+b+" start "+recB+" 0 {RECORD_READ_ONLY=true}", "+OK Success\n")
			api(t, fs1, "uuid_broadcast "+impairA+" tone_stream://%(3000,0,440) aleg", "+OK Message sent\n")
			clock.Advance(time.Second)
			api(t, fs1, mute, tc.wantReply)
			clock.Advance(time.Second)
			api(t, fs1, "uuid_audio "+impairA+" stop", "+OK\n")
			clock.Advance(time.Second)
			api(t, fs1, "uuid_record "+impairA+" stop "+recA, "+OK Success\n")
			api(t, fs2, "uuid_record "+b+" stop "+recB, "+OK Success\n")

			start := waitFor(t, conn, func(e *wire.Event) bool {
				return e.Name() == "MEDIA_BUG_START" && e.Get("Media-Bug-Function") == "audio"
			})
			stop := waitFor(t, conn, func(e *wire.Event) bool {
				return e.Name() == "MEDIA_BUG_STOP" && e.Get("Media-Bug-Function") == "audio"
			})
			wantTarget := "mute"
			if tc.bugFirst {
				wantTarget = "level"
			}
			if start.Get("Media-Bug-Target") != wantTarget || stop.Get("Media-Bug-Target") != wantTarget {
				t.Fatalf("media bug targets %q, %q; want %q", start.Get("Media-Bug-Target"), stop.Get("Media-Bug-Target"), wantTarget)
			}

			for _, x := range []struct {
				who   string
				path  string
				muted bool
			}{{"B (far end)", recB, tc.farMuted}, {"A (own)", recA, tc.ownMuted}} {
				s, _ := readWAV(t, x.path)
				if len(s) != 3*sampleRate {
					t.Fatalf("%s: %d samples", x.who, len(s))
				}
				// A's own recording mixes its write stream one frame
				// behind its read stream (the write of a tick comes after
				// the tick's read, mediabug.go): 40 ms either side.
				middle := s[sampleRate+320 : 2*sampleRate-320]
				if r := rmsOf(s[:sampleRate]); r < 1000 {
					t.Fatalf("%s: no tone before the mute (rms %.0f)", x.who, r)
				}
				if r := rmsOf(s[2*sampleRate:]); r < 1000 {
					t.Fatalf("%s: no tone after uuid_audio stop (rms %.0f)", x.who, r)
				}
				r := rmsOf(middle)
				switch {
				case !x.muted && r < 1000:
					t.Fatalf("%s: the muted second lost the tone (rms %.0f)", x.who, r)
				case x.muted && !tc.noise && r != 0:
					t.Fatalf("%s: the muted second is not silent (rms %.0f)", x.who, r)
				case x.muted && tc.noise:
					peak := 0
					for _, v := range middle {
						peak = max(peak, int(math.Abs(float64(v))))
					}
					// six 16-bit steps summed, truncated, divided by 10
					if r == 0 || peak > 3277 || crossings(middle) < len(middle)/2 {
						t.Fatalf("%s: the muted second is not comfort noise (rms %.0f, peak %d, %d crossings)",
							x.who, r, peak, crossings(middle))
					}
				}
			}
		})
	}
}

// TestUUIDAudioReplies: uuid_audio's replies (mod_commands.c
// session_audio_function): "-USAGE: ..." for too few or wrong arguments,
// "-ERR No such channel!" for an unknown uuid, "+OK" otherwise (the words
// compared without case).
func TestUUIDAudioReplies(t *testing.T) {
	const usage = "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"
	c, _, _ := impairedCall(t, 2, Impairments{}, "")
	fs1 := c.Server(0)
	cases := []struct{ args, want string }{
		{"", usage},
		{impairA, usage},
		{"00000000-0000-0000-0000-000000000000 stop", "-ERR No such channel!\n"},
		{impairA + " start write mute", usage},
		{impairA + " start both mute 1", usage},
		{impairA + " start write loud 1", usage},
		{impairA + " begin write mute 1", usage},
		{impairA + " stop", "+OK\n"},
		{impairA + " START Write MUTE 1", "+OK\n"},
		{impairA + " start read level 9", "+OK\n"},
		{impairA + " stop", "+OK\n"},
	}
	for _, tc := range cases {
		if got := apiText(fs1, strings.TrimSpace("uuid_audio "+tc.args)); got != tc.want {
			t.Errorf("uuid_audio %s: %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestImpairBert: bert_test's figures follow what the channel hears. From
// mod_bert.c bert_test_function: a window (bert_window_ms, 1000) whose
// error rate err_samples/processed_samples*100 is above bert_max_err
// (BERT_DEFAULT_MAX_ERR 10, read with atoi; "err > bert.max_err") loses
// sync (line 294: mod_bert::lost_sync with sync_lost_percent "%f",
// sync_lost_count, cng_count, err_samples; bert_stats_sync_lost_count and
// bert_stats_sync_lost set), one at or below it gets in sync (line 313,
// mod_bert::in_sync, cng_count reset); without sync bert_timeout_ms after
// the start (BERT_DEFAULT_TIMEOUT_MS 10000) mod_bert::timeout comes once
// (line 246). A lost packet is read as a CNG frame (switch_rtp.c
// rtp_common_read, "We're late!"), which mod_bert fills with the idle
// octet and counts whole as errors (cng_count++, the pattern is not
// found: err_samples += samples), so each lost 20 ms is 160 error
// samples. The effective loss is the larger of Link.Loss and the
// impairments (a muted call loses everything).
func TestImpairBert(t *testing.T) {
	cases := []struct {
		name     string
		im       Impairments
		vars     string
		want     []string // the CUSTOM events' subclasses, without "mod_bert::"
		lostVars string   // bert_stats_sync_lost_count at the end
	}{
		{"none", Impairments{}, "", []string{"in_sync"}, "0"},
		// 5 frames of 50 at most in a window: 10%, not above 10
		{"5% in 100 ms bursts stays in sync", Impairments{AudioLoss: 0.05}, "", []string{"in_sync"}, "0"},
		{"5% against bert_max_err=1", Impairments{AudioLoss: 0.05}, "bert_max_err=1", nil, ""},
		// a 400 ms burst puts at least 10 frames (20%) in one window
		{"10% in 400 ms bursts", Impairments{AudioLoss: 0.1, LossBurst: 400 * time.Millisecond}, "", nil, ""},
		{"muted call times out", Impairments{Mute: 1}, "", []string{"timeout"}, "0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vars := "bert_window_ms=1000"
			if tc.vars != "" {
				vars += "," + tc.vars
			}
			clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			c := RunClusterT(t, 2, Config{Clock: clock, HeartbeatInterval: -1, Inbound: Inbound{Action: "answer"}})
			fs1, fs2 := c.Server(0), c.Server(1)
			fs1.SetImpairments(tc.im)
			conn := dialESL(t, fs1)
			if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "CHANNEL_HANGUP_COMPLETE", "CUSTOM",
				"mod_bert::in_sync", "mod_bert::lost_sync", "mod_bert::timeout"); err != nil {
				t.Fatal(err)
			}
			res := bgOriginate(fs1, "{origination_uuid="+impairA+","+vars+"}sofia/external/bert@"+fs2.SIPAddr()+" &bert_test()")
			waitResult(t, res, clock, 10*time.Millisecond)
			clock.Advance(12 * time.Second)
			api(t, fs1, "uuid_kill "+impairA, "+OK\n")
			evs := untilHangup(t, conn, impairA)
			var got []string
			lostCount := 0
			for _, e := range evs {
				if e.Name() != "CUSTOM" {
					continue
				}
				sub := strings.TrimPrefix(e.Subclass(), "mod_bert::")
				got = append(got, sub)
				if sub != "lost_sync" {
					continue
				}
				lostCount++
				errS, _ := strconv.Atoi(e.Get("err_samples"))
				cng, _ := strconv.Atoi(e.Get("cng_count"))
				pct := strconv.FormatFloat(float64(float32(float64(float32(errS)/8000)*100)), 'f', 6, 64)
				if errS <= 0 || errS%160 != 0 || cng < errS/160 || e.Get("sync_lost_percent") != pct ||
					e.Get("sync_lost_count") != strconv.Itoa(lostCount) {
					t.Fatalf("lost_sync: err_samples %q cng_count %q sync_lost_percent %q sync_lost_count %q",
						e.Get("err_samples"), e.Get("cng_count"), e.Get("sync_lost_percent"), e.Get("sync_lost_count"))
				}
			}
			t.Logf("events %v", got)
			hc := evs[len(evs)-1]
			if tc.want != nil {
				if strings.Join(got, ",") != strings.Join(tc.want, ",") {
					t.Fatalf("events %v, want %v", got, tc.want)
				}
			} else if lostCount == 0 || got[0] != "in_sync" && got[0] != "lost_sync" {
				t.Fatalf("events %v, want in_sync and lost_sync", got)
			}
			want := tc.lostVars
			if want == "" {
				want = strconv.Itoa(lostCount)
			}
			if v := hc.Var("bert_stats_sync_lost_count"); v != want {
				t.Fatalf("bert_stats_sync_lost_count %q, want %q", v, want)
			}
			if v, lost := hc.Var("bert_stats_sync_lost"), lostCount > 0; v != strconv.FormatBool(lost) {
				t.Fatalf("bert_stats_sync_lost %q after %d lost syncs", v, lostCount)
			}
		})
	}
}

// recordBoth records the B leg for 2 s while the A leg plays 440 Hz and
// B itself 1000 Hz, with the recording options given as uuid_record's
// variables or, with setvar, as B's channel variables.
func recordBoth(t *testing.T, opts string, setvar bool) ([]int16, int) {
	t.Helper()
	c, clock, b := impairedCall(t, 2, Impairments{}, "")
	fs1, fs2 := c.Server(0), c.Server(1)
	path := filepath.Join(t.TempDir(), "rec.wav")
	start := "uuid_record " + b + " start " + path
	if setvar {
		for _, kv := range strings.Split(opts, ",") {
			k, v, _ := strings.Cut(kv, "=")
			api(t, fs2, "uuid_setvar "+b+" "+k+" "+v, "+OK\n")
		}
	} else if opts != "" {
		start += " 0 {" + opts + "}"
	}
	api(t, fs2, start, "+OK Success\n")
	api(t, fs1, "uuid_broadcast "+impairA+" tone_stream://%(2000,0,440) aleg", "+OK Message sent\n")
	api(t, fs2, "uuid_broadcast "+b+" tone_stream://%(2000,0,1000) aleg", "+OK Message sent\n")
	clock.Advance(2 * time.Second)
	api(t, fs2, "uuid_record "+b+" stop "+path, "+OK Success\n")
	return readWAV(t, path)
}

// TestRecordOptions: the recording options record_session and uuid_record
// honour (switch_ivr_async.c switch_ivr_record_session_event): by default
// the read and write streams mixed (switch_core_media_bug.c
// switch_core_media_bug_read adds them, clamped); RECORD_WRITE_ONLY only
// what the channel sends, RECORD_READ_ONLY only what it hears (checked
// after WRITE_ONLY, so it wins when both are set); RECORD_STEREO two
// channels, the read stream left and the write stream right
// (switch_core_media_bug_read: "left = fp; /* read stream */"),
// RECORD_STEREO_SWAP the other way round. The options come from the
// recording's {variables} or else the channel's (get_recording_var).
func TestRecordOptions(t *testing.T) {
	const heard, sent = 440, 1000 // the tones' frequencies
	cases := []struct {
		name        string
		opts        string
		setvar      bool
		left, right int // frequency per channel (right 0: mono; -1: silent)
	}{
		{"RECORD_READ_ONLY", "RECORD_READ_ONLY=true", false, heard, 0},
		{"RECORD_WRITE_ONLY", "RECORD_WRITE_ONLY=true", false, sent, 0},
		{"both: read only wins", "RECORD_WRITE_ONLY=true,RECORD_READ_ONLY=true", false, heard, 0},
		{"RECORD_STEREO", "RECORD_STEREO=true", false, heard, sent},
		{"RECORD_STEREO as channel variable", "RECORD_STEREO=true", true, heard, sent},
		{"RECORD_STEREO_SWAP", "RECORD_STEREO_SWAP=true", false, sent, heard},
		{"stereo, read only", "RECORD_STEREO=true,RECORD_READ_ONLY=true", false, heard, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, channels := recordBoth(t, tc.opts, tc.setvar)
			want := 1
			if tc.right != 0 {
				want = 2
			}
			samples := 2 * sampleRate
			if tc.left == sent && tc.right == 0 {
				// writing only: the write stream's pre-buffer is tossed
				// down to two frames (mediabug.go; a real FreeSWITCH
				// wrote 1.84 s of these 2 s)
				samples -= 11 * 160
			}
			if channels != want || len(s) != samples*channels {
				t.Fatalf("%d channels, %d samples; want %d channels of %d", channels, len(s), want, samples)
			}
			for i, f := range []int{tc.left, tc.right}[:channels] {
				ch := channelOf(s, i, channels)
				if f < 0 {
					if rmsOf(ch) != 0 {
						t.Fatalf("channel %d is not silent", i)
					}
					continue
				}
				// a tone of f Hz crosses zero 2f times a second
				exp := 2 * f * len(ch) / sampleRate
				if n := crossings(ch); math.Abs(float64(n-exp)) > float64(exp)/50 { // tossed frames break the phase
					t.Fatalf("channel %d: %d zero crossings, want %d (%d Hz)", i, n, exp, f)
				}
			}
		})
	}
	t.Run("default mixes both", func(t *testing.T) {
		mono, channels := recordBoth(t, "", false)
		stereo, _ := recordBoth(t, "RECORD_STEREO=true", false)
		if channels != 1 || len(mono) != 2*sampleRate {
			t.Fatalf("%d channels, %d samples", channels, len(mono))
		}
		for i := range mono {
			if want := mixSample(stereo[2*i], stereo[2*i+1]); mono[i] != want {
				t.Fatalf("sample %d: %d, want %d (read %d + write %d)", i, mono[i], want, stereo[2*i], stereo[2*i+1])
			}
		}
	})
}

// TestMixSample follows switch_core_media_bug_read's mix: the sum, plus
// half of each side again when it overflows, clamped.
func TestMixSample(t *testing.T) {
	cases := []struct{ r, w, want int16 }{
		{100, -50, 50},
		{30000, 10000, 32767},
		{-20000, -20000, -32768},
		{0, 0, 0},
		{32767, 0, 32767},
	}
	for _, tc := range cases {
		if got := mixSample(tc.r, tc.w); got != tc.want {
			t.Errorf("mix(%d, %d) = %d, want %d", tc.r, tc.w, got, tc.want)
		}
	}
}

// TestRecordAtHangup: a recording running when its channel hangs up is
// written, with the far end's audio up to the far end's BYE, and its
// RECORD_STOP comes inside the hang-up as FreeSWITCH raises it:
// switch_core_session_hangup_state (switch_core_state_machine.c) calls
// switch_core_media_bug_remove_all after CS_HANGUP's CHANNEL_STATE and
// before CCS_HANGUP (capture 06's hang-up: CHANNEL_HANGUP,
// CHANNEL_UNPARK, CHANNEL_EXECUTE_COMPLETE, CHANNEL_STATE CS_HANGUP,
// CHANNEL_CALLSTATE HANGUP ...). remove_all closes the bugs in order
// (record_callback SWITCH_ABC_TYPE_CLOSE: RECORD_STOP, completion
// "success-silence" when the channel is down, speech being assumed
// without silence detection) and destroys them in reverse order
// (MEDIA_BUG_STOP each, switch_core_media_bug.c). RECORD_START and
// RECORD_STOP carry the recording variables as Recording-Variable-*
// (merge_recording_variables).
func TestRecordAtHangup(t *testing.T) {
	c, clock, b := impairedCall(t, 2, Impairments{}, "")
	fs1, fs2 := c.Server(0), c.Server(1)
	conn := dialESL(t, fs2)
	if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "ALL"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rec.wav")
	api(t, fs2, "uuid_record "+b+" start "+path+" 0 {RECORD_READ_ONLY=true,note=x}", "+OK Success\n")
	api(t, fs2, "uuid_audio "+b+" start read level 1", "+OK\n")
	api(t, fs1, "uuid_broadcast "+impairA+" tone_stream://%(5000,0,440) aleg", "+OK Message sent\n")
	clock.Advance(time.Second)
	api(t, fs1, "uuid_kill "+impairA, "+OK\n")
	var seq []string
	var stop *wire.Event
	for _, e := range untilHangup(t, conn, b) {
		if e.UniqueID() != b {
			continue
		}
		if e.Name() == "CHANNEL_HANGUP" {
			seq = nil
		}
		name := e.Name()
		switch name {
		case "CHANNEL_STATE":
			name += " " + e.Get("Channel-State")
		case "MEDIA_BUG_STOP":
			name += " " + e.Get("Media-Bug-Function")
		case "RECORD_STOP":
			stop = e
		case "RECORD_START":
			if e.Get("Recording-Variable-note") != "x" || e.Get("Recording-Variable-RECORD_READ_ONLY") != "true" {
				t.Fatalf("RECORD_START without the recording variables")
			}
		}
		seq = append(seq, name)
	}
	want := "CHANNEL_HANGUP,CHANNEL_UNPARK,CHANNEL_EXECUTE_COMPLETE,CHANNEL_STATE CS_HANGUP,RECORD_STOP," +
		"MEDIA_BUG_STOP audio,MEDIA_BUG_STOP session_record,CHANNEL_CALLSTATE,CHANNEL_STATE CS_REPORTING,CHANNEL_HANGUP_COMPLETE"
	if got := strings.Join(seq, ","); got != want {
		t.Fatalf("hang-up events\n%s\nwant\n%s", got, want)
	}
	if stop.Get("Record-Completion-Cause") != "success-silence" || stop.Get("Recording-Variable-note") != "x" ||
		stop.Get("Channel-State") != "CS_HANGUP" {
		t.Fatalf("RECORD_STOP: cause %q, note %q, state %q", stop.Get("Record-Completion-Cause"),
			stop.Get("Recording-Variable-note"), stop.Get("Channel-State"))
	}
	s, _ := readWAV(t, path)
	if len(s) != sampleRate || rmsOf(s) < 1000*1.3 {
		t.Fatalf("%d samples, rms %.0f: want the far end's tone for 1 s, louder by level 1", len(s), rmsOf(s))
	}
}

// TestExecuteExpandsVariables: applications run with ${var} in their
// argument expanded from the channel's variables, then the globals:
// switch_core_session.c switch_core_session_exec calls
// switch_channel_expand_variables unless app_disable_expand_variables is
// true, and its CHANNEL_EXECUTE and the application get the result. A
// bridge to another server carries audio both ways: the far end of the
// bridged leg is heard by the caller.
func TestExecuteExpandsVariables(t *testing.T) {
	cases := []struct {
		name, app, arg string
		vars           map[string]string // B's variables
		want           string            // Application-Data
		check          func(t *testing.T, c *Cluster, clock *VirtualClock, b string)
	}{
		{"playback", "playback", "${tone}", map[string]string{"tone": "tone_stream://%(100,0,440)"},
			"tone_stream://%(100,0,440)", nil},
		{"a global", "playback", "silence_stream://${pause}", nil, "silence_stream://100", nil},
		{"expansion off", "playback", "${tone}", map[string]string{"tone": "x", "app_disable_expand_variables": "true"},
			"${tone}", nil},
		{"record_session", "record_session", "${dir}/r.wav", map[string]string{"dir": "DIR"}, "DIR/r.wav", nil},
		{"bridge", "bridge", "sofia/external/${dest}", map[string]string{"dest": "DEST"}, "sofia/external/DEST",
			func(t *testing.T, c *Cluster, clock *VirtualClock, b string) {
				fs1, fs2, fs3 := c.Server(0), c.Server(1), c.Server(2)
				for i := 0; i < 100 && fs3.ChannelCount() == 0; i++ {
					clock.Advance(10 * time.Millisecond)
				}
				info, _ := fs2.Channel(b)
				if fs3.ChannelCount() != 1 || info.BridgedUUID == "" {
					t.Fatalf("no bridge to the third server (%d channels there, bridged to %q)", fs3.ChannelCount(), info.BridgedUUID)
				}
				d := fs3.Channels()[0].UUID
				path := filepath.Join(t.TempDir(), "a.wav")
				api(t, fs1, "uuid_record "+impairA+" start "+path+" 0 {RECORD_READ_ONLY=true}", "+OK Success\n")
				api(t, fs3, "uuid_broadcast "+d+" tone_stream://%(1000,0,440) aleg", "+OK Message sent\n")
				clock.Advance(time.Second)
				api(t, fs1, "uuid_record "+impairA+" stop "+path, "+OK Success\n")
				s, _ := readWAV(t, path)
				if n := crossings(s); n < 870 || n > 890 {
					t.Fatalf("the A leg heard %d zero crossings, want 880 (the bridged far end's 440 Hz)", n)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, clock, b := impairedCall(t, 3, Impairments{}, "")
			fs2 := c.Server(1)
			dir := t.TempDir()
			api(t, fs2, "global_setvar pause=100", "+OK")
			for k, v := range tc.vars {
				v = strings.ReplaceAll(v, "DIR", dir)
				v = strings.ReplaceAll(v, "DEST", "2000@"+c.Server(2).SIPAddr())
				api(t, fs2, "uuid_setvar "+b+" "+k+" "+v, "+OK\n")
			}
			conn := dialESL(t, fs2)
			ctx := ctxT(t)
			if err := conn.Subscribe(ctx, wire.FormatPlain, "CHANNEL_EXECUTE"); err != nil {
				t.Fatal(err)
			}
			if err := conn.Execute(ctx, b, tc.app, tc.arg); err != nil {
				t.Fatal(err)
			}
			ev := waitFor(t, conn, func(e *wire.Event) bool {
				return e.UniqueID() == b && e.Get("Application") == tc.app
			})
			want := strings.ReplaceAll(strings.ReplaceAll(tc.want, "DIR", dir), "DEST", "2000@"+c.Server(2).SIPAddr())
			if got := ev.Get("Application-Data"); got != want {
				t.Fatalf("Application-Data %q, want %q", got, want)
			}
			if got := ev.Var("current_application_data"); got != want {
				t.Fatalf("current_application_data %q, want %q", got, want)
			}
			if tc.app == "record_session" {
				api(t, fs2, "uuid_record "+b+" stop "+want, "+OK Success\n")
				if _, err := os.Stat(want); err != nil {
					t.Fatalf("record_session did not record to the expanded path: %v", err)
				}
				return
			}
			if tc.check != nil {
				tc.check(t, c, clock, b)
			}
		})
	}
}

// TestSetMute: the set_mute application (mod_dptools.c set_mute_function,
// "<read|write|both> <level>", a level of 0 or less read with
// switch_true) mutes as uuid_audio does, through
// switch_ivr_session_audio: muted on write, the far end hears silence;
// muted on read, only the channel itself hears nothing.
func TestSetMute(t *testing.T) {
	cases := []struct {
		arg       string
		farSilent bool
	}{
		{"write true", true},
		{"WRITE 1", true},
		{"both yes", true},
		{"read true", false},
		{"write false", false},
		{"write", false}, // usage: nothing happens
	}
	for _, tc := range cases {
		t.Run(tc.arg, func(t *testing.T) {
			c, clock, b := impairedCall(t, 2, Impairments{}, "")
			fs1, fs2 := c.Server(0), c.Server(1)
			conn := dialESL(t, fs1)
			if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "CHANNEL_EXECUTE_COMPLETE"); err != nil {
				t.Fatal(err)
			}
			if err := conn.Execute(ctxT(t), impairA, "set_mute", tc.arg); err != nil {
				t.Fatal(err)
			}
			waitFor(t, conn, func(e *wire.Event) bool { return e.Get("Application") == "set_mute" })
			path := filepath.Join(t.TempDir(), "b.wav")
			api(t, fs2, "uuid_record "+b+" start "+path+" 0 {RECORD_READ_ONLY=true}", "+OK Success\n")
			api(t, fs1, "uuid_broadcast "+impairA+" tone_stream://%(1000,0,440) aleg", "+OK Message sent\n")
			clock.Advance(time.Second)
			api(t, fs2, "uuid_record "+b+" stop "+path, "+OK Success\n")
			s, _ := readWAV(t, path)
			if r := rmsOf(s); (r == 0) != tc.farSilent {
				t.Fatalf("the far end's recording has rms %.0f; want silent %v", r, tc.farSilent)
			}
		})
	}
}

// TestEchoSendsBack: a channel running echo writes back each frame it
// reads (switch_ivr_async.c switch_ivr_session_echo: read_frame, then
// write_frame), so the caller hears its own audio, less what the echoing
// leg's server lost on the way in; a parked far end sends nothing.
func TestEchoSendsBack(t *testing.T) {
	cases := []struct {
		action   string
		im       Impairments // the far end's
		wantTone bool
		gaps     bool
	}{
		{"echo", Impairments{}, true, false},
		{"echo", Impairments{AudioLoss: 0.2}, true, true},
		{"answer", Impairments{}, false, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s, far end loss %v", tc.action, tc.im.AudioLoss), func(t *testing.T) {
			clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			c := RunClusterT(t, 2, Config{Clock: clock, HeartbeatInterval: -1, Inbound: Inbound{Action: tc.action}})
			fs1, fs2 := c.Server(0), c.Server(1)
			fs2.SetImpairments(tc.im)
			res := bgOriginate(fs1, "{origination_uuid="+impairA+"}sofia/external/1000@"+fs2.SIPAddr()+" &park()")
			waitResult(t, res, clock, 10*time.Millisecond)
			path := filepath.Join(t.TempDir(), "a.wav")
			api(t, fs1, "uuid_record "+impairA+" start "+path+" 0 {RECORD_READ_ONLY=true}", "+OK Success\n")
			api(t, fs1, "uuid_broadcast "+impairA+" tone_stream://%(2000,0,440) aleg", "+OK Message sent\n")
			clock.Advance(2 * time.Second)
			api(t, fs1, "uuid_record "+impairA+" stop "+path, "+OK Success\n")
			s, _ := readWAV(t, path)
			runs, _ := zeroRuns(s, 640)
			if r := rmsOf(s); (r > 1000) != tc.wantTone || (runs > 0) != tc.gaps && tc.wantTone {
				t.Fatalf("the caller heard rms %.0f with %d gaps; want tone %v, gaps %v", r, runs, tc.wantTone, tc.gaps)
			}
		})
	}
}
