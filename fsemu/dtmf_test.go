package fsemu

import (
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// TestDTMFSchedule: a burst is laid out as FreeSWITCH 1.10.12 sends it
// (dtmf.go): the figures measured on the real server, from a parked leg,
// Event-Date-Timestamp of the receiving leg's DTMF events, within 60 ms
// (the real server's own spread for one setting is 80 ms).
func TestDTMFSchedule(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name     string
		burst    string
		delay    int
		loopback bool
		first    time.Duration   // first event after the send
		gaps     []time.Duration // between events, measured
	}{
		{"default", "1234", 40, false, 260 * ms, []time.Duration{520 * ms, 520 * ms, 520 * ms}},
		{"100 ms digits", "1234@100", 40, false, 100 * ms, []time.Duration{420 * ms, 440 * ms, 460 * ms}},
		{"500 ms digits", "1234@500", 40, false, 500 * ms, []time.Duration{720 * ms, 640 * ms, 640 * ms}},
		{"1 s digits", "1234@1000", 40, false, 1000 * ms, []time.Duration{1000 * ms, 1000 * ms, 1000 * ms}},
		{"rtp_digit_delay 0", "1234", 0, false, 260 * ms, []time.Duration{260 * ms, 260 * ms, 260 * ms}},
		{"rtp_digit_delay 200", "123", 200, false, 260 * ms, []time.Duration{2120 * ms, 2120 * ms}},
		{"loopback: one digit a frame (capture 08)", "12#", 40, true, 20 * ms, []time.Duration{20 * ms, 20 * ms}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sched, free := dtmfSchedule(tc.burst, tc.delay, tc.loopback, 0)
			if len(sched) != len(tc.gaps)+1 {
				t.Fatalf("%d digits, want %d", len(sched), len(tc.gaps)+1)
			}
			near := func(got, want time.Duration) bool { return got >= want-60*ms && got <= want+60*ms }
			if !near(sched[0].at, tc.first) {
				t.Errorf("first digit at %v, measured %v", sched[0].at, tc.first)
			}
			for i, want := range tc.gaps {
				if got := sched[i+1].at - sched[i].at; !near(got, want) {
					t.Errorf("digit %d %v after the one before, measured %v", i+2, got, want)
				}
			}
			// a digit more, sent later, comes one measured gap after the
			// last (its packet time, sched[0].at, after the sender is free)
			last := sched[len(sched)-1].at
			if next, want := free+sched[0].at, last+tc.gaps[len(tc.gaps)-1]; !near(next, want) {
				t.Errorf("a further digit would come at %v, want about %v", next, want)
			}
		})
	}
}

// TestDTMFScheduleParts: '+' separates parts with their own durations,
// 'w' and 'W' pause 500 ms and 1 s without a digit, and a burst sent while
// another is going out starts after it.
func TestDTMFScheduleParts(t *testing.T) {
	sched, _ := dtmfSchedule("1@100+2w3", 0, false, time.Second)
	var got []string
	for _, d := range sched {
		got = append(got, string(d.digit)+":"+d.duration+"@"+d.at.String())
	}
	want := []string{"1:800@1.1s", "2:2080@1.36s", "3:2080@2.12s"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestDTMFSpacedOnTheWire: uuid_send_dtmf's digits reach the far leg one
// by one, 520 ms apart by the default (Event-Date-Timestamp, as measured on
// the real server and in capture 06), not at one instant; a second burst
// waits for the first; digits still queued when the sending leg hangs up
// never arrive.
func TestDTMFSpacedOnTheWire(t *testing.T) {
	c, clock, b := impairedCall(t, 2, Impairments{}, "")
	fs1, fs2 := c.Server(0), c.Server(1)
	conn := dialESL(t, fs2)
	if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "DTMF", "CHANNEL_HANGUP_COMPLETE"); err != nil {
		t.Fatal(err)
	}
	sent := clock.Now()
	api(t, fs1, "uuid_send_dtmf "+impairA+" 12", "+OK "+impairA+" sent DTMF 12.\n")
	api(t, fs1, "uuid_send_dtmf "+impairA+" 34", "+OK "+impairA+" sent DTMF 34.\n")
	clock.Advance(1800 * time.Millisecond) // 1, 2, 3 in; 4 is due at 1820 ms
	api(t, fs1, "uuid_kill "+impairA, "+OK\n")
	var got []string
	var prev time.Time
	for _, e := range untilHangup(t, conn, b) {
		if e.Name() != "DTMF" || e.UniqueID() != b {
			continue
		}
		at := e.Time("Event-Date-Timestamp")
		if prev.IsZero() {
			// stamped on the 20 ms grid of FreeSWITCH's clock (tick.go)
			if d := at.Sub(sent); d < 240*time.Millisecond || d > 260*time.Millisecond {
				t.Errorf("first digit %v after the send, want 260 ms on a 20 ms grid", d)
			}
		} else {
			got = append(got, e.Get("DTMF-Digit")+"+"+at.Sub(prev).String())
		}
		prev = at
	}
	want := []string{"2+520ms", "3+520ms"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("DTMF events after the first %v, want %v", got, want)
	}
}
