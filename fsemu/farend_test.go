package fsemu

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// startOriginate starts an originate on s at the clock's present time; the
// channel receives its result.
func startOriginate(s *Server, args string) <-chan string {
	res := make(chan string, 1)
	s.lock()
	s.originate(args, func(r string) { res <- r })
	s.unlock()
	return res
}

// resultAt advances the virtual clock 10 ms at a time until the originate
// ends and returns its result and how long it took (limit at most).
func resultAt(t *testing.T, clock *VirtualClock, res <-chan string, limit time.Duration) (string, time.Duration) {
	t.Helper()
	for d := time.Duration(0); d <= limit; d += 10 * time.Millisecond {
		select {
		case r := <-res:
			return r, d
		default:
		}
		clock.Advance(10 * time.Millisecond)
	}
	t.Fatalf("originate did not end within %v", limit)
	return "", 0
}

// TestFarEndRules: each Inbound rule ends the originate when
// src/switch_ivr_originate.c says it does (early media unless
// ignore_early_media, a 180 only with return_ring_ready, the answer, or
// the far end's hang-up), at the virtual time its phases add up to. An
// answer ends it at the originate loop's next look, originatePoll later
// (capture 06: the A leg's CHANNEL_ANSWER at ...283379 µs, the
// BACKGROUND_JOB and its park at ...303353).
func TestFarEndRules(t *testing.T) {
	const id = "f00d0000-0000-0000-0000-000000000001"
	cases := []struct {
		name  string
		in    Inbound
		vars  string
		want  string        // result, "+OK" meaning "+OK <id>"
		at    time.Duration // when it ends
		state string        // the A leg's answer state then ("" for a failure)
	}{
		{"early media ends it", Inbound{EarlyMedia: 2 * time.Second, Action: "answer"}, "",
			"+OK", originatePoll, "early"},
		{"ignore_early_media waits for the answer", Inbound{EarlyMedia: 2 * time.Second, Action: "answer"},
			"ignore_early_media=true", "+OK", 2*time.Second + originatePoll, "answered"},
		{"ignore_early_media=ring_ready too", Inbound{EarlyMedia: 2 * time.Second, Action: "answer"},
			"ignore_early_media=ring_ready", "+OK", 2*time.Second + originatePoll, "answered"},
		{"a 180 does not end it", Inbound{RingTime: time.Second, Action: "answer"}, "",
			"+OK", time.Second + originatePoll, "answered"},
		{"return_ring_ready ends it at the 180", Inbound{RingTime: time.Second, Action: "answer"},
			"return_ring_ready=true", "+OK", originatePoll, "ringing"},
		{"ring then early media", Inbound{RingTime: time.Second, EarlyMedia: time.Second, Action: "answer"}, "",
			"+OK", time.Second + originatePoll, "early"},
		{"answer delay", Inbound{AnswerDelay: 1500 * time.Millisecond, Action: "answer"}, "",
			"+OK", 1500*time.Millisecond + originatePoll, "answered"},
		{"early media never answered (capture 19)", Inbound{EarlyMedia: 6 * time.Second, Action: "noanswer",
			NoAnswerAfter: 6 * time.Second}, "ignore_early_media=true", "-ERR NO_ANSWER", 6 * time.Second, ""},
		{"rings out with a cause", Inbound{Action: "noanswer", NoAnswerAfter: 3 * time.Second,
			NoAnswerCause: "NO_USER_RESPONSE"}, "", "-ERR NO_USER_RESPONSE", 3 * time.Second, ""},
		{"busy after ringing", Inbound{RingTime: time.Second, Failures: []Failure{{"USER_BUSY", 1}}}, "",
			"-ERR USER_BUSY", time.Second, ""},
		{"refused at once", Inbound{Action: "answer", Failures: []Failure{{"CALL_REJECTED", 1}}}, "",
			"-ERR CALL_REJECTED", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, clock := vcluster(t, tc.in)
			fs1, fs2 := c.Server(0), c.Server(1)
			vars := "origination_uuid=" + id
			if tc.vars != "" {
				vars += "," + tc.vars
			}
			res := startOriginate(fs1, "{"+vars+"}sofia/external/1000@"+fs2.SIPAddr()+" &park()")
			got, at := resultAt(t, clock, res, 10*time.Second)
			want := tc.want
			if want == "+OK" {
				want += " " + id
			}
			if got != want+"\n" || at != tc.at {
				t.Fatalf("originate ended %q after %v, want %q after %v", got, at, want+"\n", tc.at)
			}
			a, ok := fs1.Channel(id)
			if tc.state == "" {
				if ok || fs2.ChannelCount() != 0 {
					t.Fatalf("channels left after a failure: A %v, B side %d", ok, fs2.ChannelCount())
				}
				return
			}
			if !ok || a.AnswerState != tc.state || a.Application != "park" {
				t.Fatalf("A leg at the result: %+v, want %s and parked", a, tc.state)
			}
		})
	}
}

// TestFarEndTalkTime: the far end hangs up TalkTime after it answered,
// and the A leg follows with NORMAL_CLEARING.
func TestFarEndTalkTime(t *testing.T) {
	const id = "f00d0000-0000-0000-0000-000000000002"
	c, clock := vcluster(t, Inbound{RingTime: time.Second, Action: "answer", TalkTime: 5 * time.Second})
	fs1, fs2 := c.Server(0), c.Server(1)
	conn := dialESL(t, fs1)
	if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "CHANNEL_HANGUP_COMPLETE"); err != nil {
		t.Fatal(err)
	}
	res := startOriginate(fs1, "{origination_uuid="+id+"}sofia/external/1000@"+fs2.SIPAddr()+" &park()")
	if got, at := resultAt(t, clock, res, 5*time.Second); got != "+OK "+id+"\n" || at != time.Second+originatePoll {
		t.Fatalf("originate: %q after %v", got, at)
	}
	clock.Advance(5*time.Second - originatePoll - 10*time.Millisecond) // talk time counts from the answer
	if _, ok := fs1.Channel(id); !ok {
		t.Fatal("the A leg hung up before the talk time")
	}
	clock.Advance(10 * time.Millisecond)
	if _, ok := fs1.Channel(id); ok || fs2.ChannelCount() != 0 {
		t.Fatalf("the call outlived the talk time (A leg there: %v, B side %d)", ok, fs2.ChannelCount())
	}
	if hc := waitFor(t, conn, named("CHANNEL_HANGUP_COMPLETE")); hc.HangupCause() != "NORMAL_CLEARING" ||
		hc.Var("sip_hangup_disposition") != "recv_bye" {
		t.Fatalf("A leg hung up %s (%s), want NORMAL_CLEARING on the far end's BYE",
			hc.HangupCause(), hc.Var("sip_hangup_disposition"))
	}
}

// TestFarEndFailureShares: over many calls, each failure share is met
// (the server's seeded random source draws them) and the rest answer.
func TestFarEndFailureShares(t *testing.T) {
	const n = 1000
	in := Inbound{Action: "answer", BusyRate: 0.1,
		Failures: []Failure{{"CALL_REJECTED", 0.2}, {"NORMAL_TEMPORARY_FAILURE", 0.05}}}
	c, clock := vcluster(t, in)
	fs1, fs2 := c.Server(0), c.Server(1)
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		if i%100 == 0 {
			clock.Advance(time.Second) // within the 200 sessions per second
		}
		r, _ := resultAt(t, clock, startOriginate(fs1, "sofia/external/1000@"+fs2.SIPAddr()+" &park()"), time.Second)
		if id, ok := strings.CutPrefix(strings.TrimSpace(r), "+OK "); ok {
			counts["+OK"]++
			fs1.Hangup(id, "NORMAL_CLEARING")
			continue
		}
		counts[strings.TrimSpace(r)]++
	}
	want := map[string]float64{"+OK": 0.65, "-ERR USER_BUSY": 0.1, "-ERR CALL_REJECTED": 0.2,
		"-ERR NORMAL_TEMPORARY_FAILURE": 0.05}
	for k, share := range want {
		// three standard deviations of a binomial share
		if got := float64(counts[k]) / n; math.Abs(got-share) > 3*math.Sqrt(share*(1-share)/n) {
			t.Errorf("%s: share %.3f, want %.2f", k, got, share)
		}
	}
	if len(counts) != len(want) {
		t.Errorf("results %v, want only %v", counts, want)
	}
}

func TestInboundValidate(t *testing.T) {
	cases := []struct {
		in   Inbound
		want string // "" valid, else a part of the error
	}{
		{Inbound{}, ""},
		{Inbound{Action: "answer", RingTime: time.Second, EarlyMedia: time.Second, TalkTime: time.Minute,
			Failures: []Failure{{"USER_BUSY", 0.5}, {"CALL_REJECTED", 0.5}}}, ""},
		{Inbound{Action: "dance"}, `unknown action "dance"`},
		{Inbound{Action: "reject", Cause: "BUSY"}, `unknown cause "BUSY"`},
		{Inbound{NoAnswerCause: "no_answer"}, `unknown no-answer cause "no_answer"`},
		{Inbound{RingTime: -time.Second}, "ring time -1s is negative"},
		{Inbound{TalkTime: -1}, "talk time -1ns is negative"},
		{Inbound{BusyRate: math.NaN()}, "busy rate NaN is not a share"},
		{Inbound{RejectRate: 1.5}, "reject rate 1.5 is not a share"},
		{Inbound{Failures: []Failure{{"USER_BUSY", -0.1}}}, "USER_BUSY share -0.1 is not a share"},
		{Inbound{Failures: []Failure{{"NOPE", 0.1}}}, `unknown cause "NOPE"`},
		{Inbound{BusyRate: 0.5, Failures: []Failure{{"USER_BUSY", 0.6}}}, "add to 1.1, more than 1"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%+v", tc.in), func(t *testing.T) {
			err := tc.in.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestEarlyPolicy follows src/switch_ivr_originate.c's reading of the
// originate's variables into early_ok and return_ring_ready.
func TestEarlyPolicy(t *testing.T) {
	cases := []struct {
		vars                string
		earlyOK, returnRing bool
	}{
		{"", true, false},
		{"ignore_early_media=true", false, false},
		{"ignore_early_media=yes", false, false},
		{"ignore_early_media=false", true, false},
		{"ignore_early_media=consume", false, false},
		{"ignore_early_media=ring_ready", false, false},
		{"bridge_early_media=true", false, false},
		{"monitor_early_media_ring=1", false, false},
		{"monitor_early_media_fail=on", false, false},
		{"group_confirm_early_ok=false", false, false},
		{"group_confirm_early_ok=false,ignore_early_media=false", false, false},
		{"return_ring_ready=true", true, true},
		{"return_ring_ready=true,ignore_ring_ready=true", true, false},
	}
	for _, tc := range cases {
		vars, _ := parseDialString("{" + tc.vars + "}sofia/external/1000@x")
		if e, r := earlyPolicy(vars); e != tc.earlyOK || r != tc.returnRing {
			t.Errorf("{%s}: early_ok %v return_ring_ready %v, want %v %v", tc.vars, e, r, tc.earlyOK, tc.returnRing)
		}
	}
}

// TestDialplanFarEnds: the switchio context's far ends of captures 18-20;
// other contexts and near misses park.
func TestDialplanFarEnds(t *testing.T) {
	srv := RunT(t)
	cases := []struct {
		context, exten, want string
	}{
		{"switchio", "em1500", "pre_answer,sleep 1500,park"},
		{"switchio", "emnoanswer", "pre_answer,sleep 6000,hangup NO_ANSWER"},
		{"switchio", "ring20", "ring_ready,sleep 20,park"},
		{"switchio", "em", "park"},
		{"switchio", "em1x", "park"},
		{"switchio", "1000", "park"},
		{"default", "em1500", "park"},
	}
	for _, tc := range cases {
		ch := &channel{s: srv, uuid: "x", prof: profile{context: tc.context}}
		var got []string
		for _, q := range srv.dialplanApps(ch, tc.exten) {
			got = append(got, strings.TrimSpace(q.name+" "+q.arg))
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s/%s: %v, want %s", tc.context, tc.exten, got, tc.want)
		}
	}
}
