package fsemu

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// The timestamp clock's tick (tick.go): a vanilla FreeSWITCH stamps from
// a clock its soft timer advances once per 20 ms, so its timestamps lie
// on a 20 ms grid and those within one tick are equal.

// serverTimes lists the server-stamped times (µs) an event carries:
// Event-Date-Timestamp, the caller profile's non-zero *-Time headers and
// the non-zero variable_*_uepoch values.
func serverTimes(ev *wire.Event) []int64 {
	var out []int64
	for _, h := range ev.Headers {
		switch {
		case h.Name == "Event-Date-Timestamp",
			strings.HasSuffix(h.Name, "-Time") && strings.Contains(h.Name, "Channel-"),
			strings.HasPrefix(h.Name, varPrefix) && strings.HasSuffix(h.Name, "_uepoch"):
			if v, err := strconv.ParseInt(h.Value, 10, 64); err == nil && v > 0 {
				out = append(out, v)
			}
		}
	}
	return out
}

// gridOffset is how far us lies from the nearest point of the grid of
// period tick through phase (µs, signed).
func gridOffset(us, phase, tick int64) int64 {
	r := (us - phase) % tick
	if r < 0 {
		r += tick
	}
	if r > tick/2 {
		r -= tick
	}
	return r
}

// TestClockTickCaptures: in the real captures every server timestamp
// (events, caller-profile times, CDR uepochs) lies within 0.1 ms of one
// 20 ms grid, the soft timer's; replayed by the emulator with its default
// tick, every one lies exactly on its own grid (phase: the server's
// start), and the calls' legs share timestamps as the real ones do.
func TestClockTickCaptures(t *testing.T) {
	const tick = int64(20000)
	cases := []struct {
		name   string
		onStep func(*Server) // acts on the server as the replay goes (autoAnswer)
	}{
		{"06_call_sofia_plain_all", nil},
		{"12_api_originate_sync", autoAnswer},
		{"18_early_media_answered", nil},
		{"20_ringing_then_answered", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, capture := replayCapture(t, tc.name, tc.onStep)
			check := func(who string, frames []capFrame, phase int64, slack int64) {
				n, shared := 0, 0
				seen := map[int64]int{}
				for _, f := range frames {
					if f.ev == nil {
						continue
					}
					ts := serverTimes(f.ev)
					if len(ts) == 0 {
						continue
					}
					if phase < 0 {
						phase = ts[0]
					}
					for _, v := range ts {
						n++
						if off := gridOffset(v, phase, tick); off < -slack || off > slack {
							t.Errorf("%s: %s stamps %d, %d µs off the 20 ms grid", who, f.ev.Name(), v, off)
						}
					}
					seen[ts[0]]++
				}
				for _, c := range seen {
					if c > 1 {
						shared += c
					}
				}
				if n == 0 {
					t.Fatalf("%s: no server timestamps", who)
				}
				// Several events per tick: a call's create, originate and
				// answer often carry one identical time.
				if shared*2 < len(seen) {
					t.Errorf("%s: only %d of the events share their Event-Date-Timestamp with another (%d distinct)", who, shared, len(seen))
				}
			}
			// FreeSWITCH's timer thread wakes a little late (tick.go): capture
			// 12 has a stamp 124 µs after its tick.
			check("capture", capture, -1, 200)
			check("emulator", g.frames, captureEpoch.UnixMicro(), 0)
		})
	}
}

// TestClockTick: events and channel times are stamped on the configured
// tick, from the server's start: 20 ms by default (two sendevents 5 ms
// apart in one tick carry one time; a call's create and answer one time;
// billmsec counts whole ticks), 1 ms with 1ms-timer, exact with
// ExactClock.
func TestClockTick(t *testing.T) {
	start := captureEpoch.Add(123 * time.Microsecond) // off any round grid
	s0 := start.UnixMicro()
	const hangupAt = 1239567 * time.Microsecond // after start
	cases := []struct {
		name   string
		tick   time.Duration
		wantUs int64 // the grid's period (1: exact)
	}{
		{"default 20 ms", 0, 20000},
		{"1ms-timer", time.Millisecond, 1000},
		{"exact", ExactClock, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewVirtualClock(start)
			srv := RunT(t, Config{Clock: clock, HeartbeatInterval: -1, ClockTick: tc.tick, Inbound: Inbound{Action: "answer"}})
			if got := srv.ClockTick(); got != time.Duration(tc.wantUs)*time.Microsecond && !(tc.wantUs == 1 && got == 0) {
				t.Fatalf("ClockTick() = %v", got)
			}
			floor := func(us int64) int64 { return us - (us-s0)%tc.wantUs }
			tcl := dialT(t, srv.Addr())
			tcl.cmd("auth ClueCon")
			tcl.cmd("event plain ALL")

			// Two sendevents 5 ms apart, then one a tick later.
			var sent []int64
			for _, at := range []time.Duration{2 * time.Millisecond, 7 * time.Millisecond, 21 * time.Millisecond} {
				clock.Advance(start.Add(at).Sub(clock.Now()))
				tcl.cmd("sendevent CUSTOM\nEvent-Subclass: tick::test\n")
				ev := tcl.waitEvent(func(ev *wire.Event) bool { return ev.Get("Event-Subclass") == "tick::test" })
				v, _ := strconv.ParseInt(ev.Get("Event-Date-Timestamp"), 10, 64)
				if want := floor(s0 + at.Microseconds()); v != want {
					t.Errorf("sendevent at +%v stamped +%d µs, want +%d µs", at, v-s0, want-s0)
				}
				sent = append(sent, v)
			}
			if same := sent[0] == sent[1]; same != (tc.wantUs == 20000) {
				t.Errorf("sendevents 5 ms apart within one 20 ms tick: equal stamps %v", same)
			}

			// A call answered at once, hung up at a known time.
			const id = "71c00000-0000-0000-0000-000000000001"
			res := startOriginate(srv, "{origination_uuid="+id+"}sofia/external/1000@"+srv.SIPAddr()+" &park")
			if r, _ := resultAt(t, clock, res, time.Second); !strings.HasPrefix(r, "+OK") {
				t.Fatal(r)
			}
			clock.Advance(start.Add(hangupAt).Sub(clock.Now()))
			srv.Hangup(id, "NORMAL_CLEARING")
			ev := tcl.waitEvent(func(ev *wire.Event) bool {
				return ev.Name() == "CHANNEL_HANGUP_COMPLETE" && ev.Get("Unique-ID") == id
			})
			for _, v := range serverTimes(ev) {
				if (v-s0)%tc.wantUs != 0 {
					t.Errorf("stamp +%d µs is off the %d µs grid", v-s0, tc.wantUs)
				}
			}
			num := func(name string) int64 {
				v, err := strconv.ParseInt(ev.Get(name), 10, 64)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return v
			}
			created, answered, hungup := num("Caller-Channel-Created-Time"), num("Caller-Channel-Answered-Time"), num("Caller-Channel-Hangup-Time")
			if want := floor(s0 + hangupAt.Microseconds()); hungup != want || num("Event-Date-Timestamp") != want || num("variable_end_uepoch") != want {
				t.Errorf("hang-up at +%v stamped +%d µs (event +%d, end_uepoch +%d), want +%d µs", hangupAt, hungup-s0,
					num("Event-Date-Timestamp")-s0, num("variable_end_uepoch")-s0, want-s0)
			}
			if num("variable_start_uepoch") != created || num("variable_answer_uepoch") != answered {
				t.Errorf("uepochs differ from the caller profile's times")
			}
			// switch_channel_set_timestamps derives the durations from the
			// stamped times, so they too count whole ticks.
			if got, want := num("variable_billusec"), hungup-answered; got != want {
				t.Errorf("billusec %d, want %d", got, want)
			}
			if got, want := num("variable_billmsec"), hungup/1000-answered/1000; got != want {
				t.Errorf("billmsec %d, want %d", got, want)
			}
			if tc.wantUs == 20000 && created != answered {
				t.Errorf("created +%d µs and answered +%d µs within one tick, want one time as on a real server", created-s0, answered-s0)
			}
		})
	}
}

// TestStampUs: the last tick at or before a time, on the grid through
// the server's start, whichever side of it; 0 (never) stays 0.
func TestStampUs(t *testing.T) {
	s := &Server{tickUs: 20000, tickPhase: 1_000_007}
	exact := &Server{}
	cases := []struct {
		us, want int64
	}{
		{0, 0},
		{1_000_007, 1_000_007},
		{1_000_008, 1_000_007},
		{1_020_006, 1_000_007},
		{1_020_007, 1_020_007},
		{1_000_006, 980_007},
		{980_007, 980_007},
	}
	for _, c := range cases {
		if got := s.stampUs(c.us); got != c.want {
			t.Errorf("stampUs(%d) = %d, want %d", c.us, got, c.want)
		}
		if got := exact.stampUs(c.us); got != c.us {
			t.Errorf("exact stampUs(%d) = %d", c.us, got)
		}
	}
}
