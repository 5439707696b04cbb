package fsemu

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
)

// TestExecuteNestsWithoutEventLock replays what a real FreeSWITCH 1.10.12
// did with three playbacks sent at once to a parked channel (500 ms and
// 3 s tones, then a missing file; the 3 s one broken with uuid_break):
// without event-lock each started inside the one before (PLAYBACK_START,
// PLAYBACK_START, then the missing file's CHANNEL_EXECUTE_COMPLETE "FILE
// NOT FOUND"), the break ended the 3 s one ("break"), and the 500 ms one
// resumed and played its whole 500 ms ("done", playback_ms 500). With
// event-lock: true they ran one after the other.
func TestExecuteNestsWithoutEventLock(t *testing.T) {
	for _, lock := range []bool{false, true} {
		t.Run(fmt.Sprintf("event-lock=%v", lock), func(t *testing.T) {
			id := "f00d0000-0000-0000-0000-0000000000b" + map[bool]string{false: "1", true: "2"}[lock]
			c, clock := vcluster(t, Inbound{Action: "answer"})
			fs1, fs2 := c.Server(0), c.Server(1)
			conn := dialESL(t, fs1)
			if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "PLAYBACK_START", "PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE"); err != nil {
				t.Fatal(err)
			}
			res := startOriginate(fs1, "{origination_uuid="+id+"}sofia/external/1000@"+fs2.SIPAddr()+" &park()")
			if r, _ := resultAt(t, clock, res, time.Second); !strings.HasPrefix(r, "+OK") {
				t.Fatalf("originate: %q", r)
			}
			for i, arg := range []string{"tone_stream://%(500,0,440)", "tone_stream://%(3000,0,440)", "/nonexistent.wav"} {
				if err := conn.SendMsg(ctxT(t), id, esl.SendMsg{App: "playback", Arg: arg, EventLock: lock,
					EventUUID: fmt.Sprintf("ev-%d", i+1)}); err != nil {
					t.Fatal(err)
				}
			}
			fs1.ChannelCount() // barrier
			var got []string
			next := func() string {
				ev := waitFor(t, conn, func(e *wire.Event) bool { return e.Get("Unique-ID") == id })
				s := ev.Name()
				switch ev.Name() {
				case "PLAYBACK_START", "PLAYBACK_STOP":
					s += " " + ev.Get("Playback-File-Path") + " " + ev.Get("Playback-Status")
				default:
					s += " " + ev.Get("Application-UUID") + " " + ev.Get("Application-Response")
				}
				if ev.Name() == "PLAYBACK_STOP" {
					s += " " + ev.Get("variable_playback_ms") + "ms"
				}
				return strings.TrimSpace(s)
			}
			var want []string
			if lock {
				clock.Advance(500 * time.Millisecond)
				fs1.ChannelCount()
				api(t, fs1, "uuid_break "+id, "+OK\n")
				want = []string{
					"PLAYBACK_START tone_stream://%(500,0,440)",
					"PLAYBACK_STOP tone_stream://%(500,0,440) done 500ms",
					"CHANNEL_EXECUTE_COMPLETE ev-1 FILE PLAYED",
					"PLAYBACK_START tone_stream://%(3000,0,440)",
					"PLAYBACK_STOP tone_stream://%(3000,0,440) break 0ms",
					"CHANNEL_EXECUTE_COMPLETE ev-2 FILE PLAYED",
					"CHANNEL_EXECUTE_COMPLETE ev-3 FILE NOT FOUND",
				}
			} else {
				clock.Advance(time.Second)
				fs1.ChannelCount()
				api(t, fs1, "uuid_break "+id, "+OK\n")
				clock.Advance(500 * time.Millisecond)
				fs1.ChannelCount()
				want = []string{
					"PLAYBACK_START tone_stream://%(500,0,440)",
					"PLAYBACK_START tone_stream://%(3000,0,440)",
					"CHANNEL_EXECUTE_COMPLETE ev-3 FILE NOT FOUND",
					"PLAYBACK_STOP tone_stream://%(3000,0,440) break 1000ms",
					"CHANNEL_EXECUTE_COMPLETE ev-2 FILE PLAYED",
					"PLAYBACK_STOP tone_stream://%(500,0,440) done 500ms",
					"CHANNEL_EXECUTE_COMPLETE ev-1 FILE PLAYED",
				}
			}
			for range want {
				got = append(got, next())
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
