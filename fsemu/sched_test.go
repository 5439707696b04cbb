package fsemu

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"testing"
	"time"
)

// The rule these tests hold fsemu to comes from FreeSWITCH 1.10.12's
// scheduler and mod_commands:
//
//   - mod_commands.c sched_hangup_function: sec = atol(argv[0] + 1);
//     "+N" is due at switch_epoch_time_now(NULL) + sec (whole epoch
//     seconds), and sec == 0 hangs up within the api call.
//   - switch_scheduler.c switch_scheduler_add_task_ex pushes ADD_SCHEDULE
//     on the scheduler's event queue; switch_scheduler_task_thread runs
//     task_thread_loop after every queue pop and otherwise every 500 ms
//     (switch_queue_pop_timeout(globals.event_queue, &pop, 500000)), and
//     task_thread_loop runs a task once now >= task.runtime.
//
// So passes fall at W, W+0.5 s, W+1 s, ... after the last add W, and a
// task fires at the first pass at or after its runtime.

// schedCalls starts a server on a virtual clock with n answered calls
// parked on it and returns their A-leg uuids, the clock on a whole second.
func schedCalls(t *testing.T, n int) (*Server, *VirtualClock, []string) {
	t.Helper()
	clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := RunT(t, Config{Clock: clock, HeartbeatInterval: -1, Inbound: Inbound{Action: "answer"}})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("5c4ed000-0000-0000-0000-%012d", i)
		res := bgOriginate(s, "{origination_uuid="+ids[i]+"}sofia/external/1000@"+s.SIPAddr()+" &park()")
		if r := waitResult(t, res, clock, 10*time.Millisecond); r[0] != '+' {
			t.Fatalf("originate: %q", r)
		}
	}
	// start on a whole second
	now := clock.Now()
	clock.Advance(now.Truncate(time.Second).Add(time.Second).Sub(now))
	return s, clock, ids
}

// holdUntilGone steps the clock 10 ms at a time until the channel is gone
// and returns how long that took (at most limit).
func holdUntilGone(s *Server, clock *VirtualClock, id string, limit time.Duration) time.Duration {
	clock.Advance(0) // the pass the request woke
	for d := time.Duration(0); d <= limit; d += 10 * time.Millisecond {
		if _, ok := s.Channel(id); !ok {
			return d
		}
		clock.Advance(10 * time.Millisecond)
	}
	return -1
}

// TestSchedHangupAlone: one sched_hangup and nothing else scheduled, so
// the passes fall every 500 ms from the request.
func TestSchedHangupAlone(t *testing.T) {
	cases := []struct {
		when   string
		offset time.Duration // into the epoch second
		hold   time.Duration
	}{
		// "+2" at 10.00: due 12.00, passes 10.0, 10.5, ... 12.0
		{"+2", 0, 2 * time.Second},
		// at 10.25: due 12, passes 10.25 ... 11.75, 12.25
		{"+2", 250 * time.Millisecond, 2 * time.Second},
		{"+2", 490 * time.Millisecond, 2 * time.Second},
		// at 10.5: due 12, passes 10.5 ... 12.0
		{"+2", 500 * time.Millisecond, 1500 * time.Millisecond},
		{"+2", 990 * time.Millisecond, 1500 * time.Millisecond},
		// atol("2.9974470138549805") is 2: the Python switchio's argument
		{"+2.9974470138549805", 100 * time.Millisecond, 2 * time.Second},
		{"+2.9974470138549805", 700 * time.Millisecond, 1500 * time.Millisecond},
		// "+1" late in a second fires after half a second
		{"+1", 750 * time.Millisecond, 500 * time.Millisecond},
		{"+1", 200 * time.Millisecond, time.Second},
		// sec is atol of what follows the first character: zero hangs up
		// in the api call
		{"+0.9", 300 * time.Millisecond, 0},
		{"+0", 0, 0},
		{"2", 0, 0},
		// with no "+", the argument is the epoch second (E: the second
		// the test starts in)
		// (due 3.0; passes 0.4, 0.9 ... 2.9, 3.4)
		{"E+3", 400 * time.Millisecond, 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s@%v", tc.when, tc.offset), func(t *testing.T) {
			s, clock, ids := schedCalls(t, 1)
			when := tc.when
			if when == "E+3" {
				when = strconv.FormatInt(clock.Now().Unix()+3, 10)
			}
			clock.Advance(tc.offset)
			if out := apiText(s, "sched_hangup "+when+" "+ids[0]+" NORMAL_CLEARING"); out != "+OK\n" {
				t.Fatalf("sched_hangup: %q", out)
			}
			if got := holdUntilGone(s, clock, ids[0], 5*time.Second); got != tc.hold {
				t.Errorf("hung up after %v, want %v", got, tc.hold)
			}
		})
	}
}

// TestSchedHangupHoldDistribution: calls started at random sub-second
// offsets each ask "sched_hangup +2" at their start (half of them with
// the Python switchio's fractional argument). Every call must end at the
// first scheduler pass at or after floor(start)+2, the passes being those
// of the adds: s_j, s_j+0.5, ... until the next add. Holds therefore
// spread over (1 s, 2.5 s), as on the real server (1.03-2.11 s observed).
func TestSchedHangupHoldDistribution(t *testing.T) {
	const n = 80
	s, clock, ids := schedCalls(t, n)
	base := clock.Now()
	rng := rand.New(rand.NewSource(7))
	starts := make([]time.Duration, n) // from base, on a 10 ms grid
	for i := range starts {
		starts[i] = time.Duration(rng.Intn(800)) * 10 * time.Millisecond
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })

	// the expected passes: every add starts a chain every 500 ms, which
	// lasts until the next add
	passes := func(from time.Duration) []time.Duration {
		var out []time.Duration
		for j, sj := range starts {
			end := time.Duration(1 << 62)
			if j+1 < n {
				end = starts[j+1]
			}
			for p := sj; p < end && p < from+3*time.Second; p += schedPassEvery {
				out = append(out, p)
			}
		}
		return out
	}
	want := make([]time.Duration, n)
	for i, si := range starts {
		due := (base.Add(si).Unix()+2)*int64(time.Second) - base.UnixNano()
		want[i] = -1
		for _, p := range passes(si) {
			if p >= si && int64(p) >= due {
				want[i] = p
				break
			}
		}
	}

	got := make([]time.Duration, n)
	next := 0
	for now := time.Duration(0); now <= 11*time.Second; now += 10 * time.Millisecond {
		for next < n && starts[next] == now {
			arg := "+2"
			if next%2 == 1 {
				arg = "+2.9974470138549805"
			}
			if out := apiText(s, "sched_hangup "+arg+" "+ids[next]+" NORMAL_CLEARING"); out != "+OK\n" {
				t.Fatalf("sched_hangup: %q", out)
			}
			next++
		}
		// the pass an add wakes runs now; then the next 10 ms
		for _, step := range []time.Duration{0, 10 * time.Millisecond} {
			clock.Advance(step)
			for i := 0; i < next; i++ {
				if got[i] == 0 {
					if _, ok := s.Channel(ids[i]); !ok {
						got[i] = now + step
					}
				}
			}
		}
	}
	var holds []time.Duration
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("call %d (start %v): hung up at %v, want the pass at %v", i, starts[i], got[i], want[i])
		}
		holds = append(holds, got[i]-starts[i])
	}
	sort.Slice(holds, func(i, j int) bool { return holds[i] < holds[j] })
	lo, hi, med := holds[0], holds[n-1], holds[n/2]
	t.Logf("holds: min %v median %v max %v", lo, med, hi)
	if lo <= time.Second || hi >= 2500*time.Millisecond {
		t.Errorf("holds %v..%v, want within (1 s, 2.5 s)", lo, hi)
	}
	if med < 1250*time.Millisecond || med > 2*time.Second {
		t.Errorf("median hold %v, want about 1.5 s", med)
	}
}

// TestSchedAPI covers sched_api's "+", "@" and past-epoch forms
// (mod_commands.c sched_api_function, switch_scheduler_add_task_ex) and
// sched_del by group and id: each run of the task originates a call (two
// channels).
func TestSchedAPI(t *testing.T) {
	cases := []struct {
		when string
		runs int // in 6.1 s
	}{
		{"+2", 1},
		{"@2", 3}, // at 2, 4, 6
		{"3", 2},  // epoch 3 is past: repeats every 3 s, at 3 and 6
		{"+0", 1}, // on the pass the add wakes
	}
	for _, tc := range cases {
		for _, del := range []string{"", "grp", "1"} {
			t.Run(tc.when+"/del="+del, func(t *testing.T) {
				s, clock, _ := schedCalls(t, 0)
				if out := apiText(s, "sched_api "+tc.when+" grp originate sofia/external/1000@"+s.SIPAddr()+" &park()"); out != "+OK Added: 1\n" {
					t.Fatalf("%q", out)
				}
				if del != "" {
					if out := apiText(s, "sched_del "+del); out != "+OK Deleted: 1\n" {
						t.Fatalf("sched_del %s: %q", del, out)
					}
				}
				clock.Advance(6*time.Second + 100*time.Millisecond)
				want := 2 * tc.runs
				if del != "" {
					want = 0
				}
				if got := s.ChannelCount(); got != want {
					t.Errorf("%d channels after 6.1 s, want %d", got, want)
				}
			})
		}
	}
}

// TestSchedChannelTasks: sched_transfer checks the channel, sched_del of
// a channel's uuid deletes its group, and a channel's tasks go with it
// (switch_core_session_perform_destroy deletes the uuid's group).
func TestSchedChannelTasks(t *testing.T) {
	s, clock, ids := schedCalls(t, 2)
	if out := apiText(s, "sched_hangup +30 "+ids[0]); out != "+OK\n" {
		t.Fatal(out)
	}
	apiText(s, "uuid_kill "+ids[0])
	if out := apiText(s, "sched_del "+ids[0]); out != "+OK Deleted: 0\n" {
		t.Errorf("sched_del of a gone channel's group: %q", out)
	}
	if out := apiText(s, "sched_transfer +1 nosuchuuid 1234"); out != "-ERR No such channel!\n" {
		t.Errorf("sched_transfer to a missing channel: %q", out)
	}
	if out := apiText(s, "sched_hangup +1 "+ids[1]); out != "+OK\n" {
		t.Fatal(out)
	}
	if out := apiText(s, "sched_del "+ids[1]); out != "+OK Deleted: 1\n" {
		t.Errorf("sched_del <uuid>: %q", out)
	}
	clock.Advance(3 * time.Second)
	if _, ok := s.Channel(ids[1]); !ok {
		t.Error("hung up despite sched_del")
	}
	if out := apiText(s, "unsched_api 999"); out != "-ERR No such id\n" {
		t.Errorf("unsched_api: %q", out)
	}
	if out := apiText(s, "sched_hangup"); out != "-USAGE: [+]<time> <uuid> [<cause>]\n" {
		t.Errorf("bare sched_hangup: %q", out)
	}
	if out := apiText(s, "sched_hangup +2"); out != "-ERR No such channel!\n" {
		t.Errorf("sched_hangup without a uuid: %q", out)
	}
}
