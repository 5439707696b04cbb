package main

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/internal/localhttp"
)

// TestEmulateBadFlags: every bad value stops emulate before any server
// starts, with one line naming the flag, and the command fails (exit 1).
func TestEmulateBadFlags(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--ring", "-1"}, `"--ring" flag: negative`},
		{[]string{"--ring", "NaN"}, `"--ring" flag: not a duration`},
		{[]string{"--ring", "soon"}, `"--ring" flag: not a duration`},
		{[]string{"--early-media", "-2s"}, `"--early-media" flag: negative`},
		{[]string{"--answer-delay", "Inf"}, `"--answer-delay" flag: not a duration`},
		{[]string{"--no-answer-after", "-0.5"}, `"--no-answer-after" flag: negative`},
		{[]string{"--no-answer-cause", "BUSY"}, `--no-answer-cause: unknown cause "BUSY"`},
		{[]string{"--hangup-after", "-1m"}, `"--hangup-after" flag: negative`},
		{[]string{"--hangup-after", "30", "--action", "park"}, "--hangup-after needs a far end that answers"},
		{[]string{"--action", "dance"}, `--action "dance"`},
		{[]string{"--fail", "1.5:USER_BUSY"}, `share "1.5" is not a number in [0,1]`},
		{[]string{"--fail", "NaN:USER_BUSY"}, `share "NaN" is not a number in [0,1]`},
		{[]string{"--fail", "-0.1:USER_BUSY"}, `share "-0.1" is not a number in [0,1]`},
		{[]string{"--fail", "0.6:USER_BUSY,0.5:CALL_REJECTED"}, "shares add to 1.1, more than 1"},
		{[]string{"--fail", "0.1:NOT_A_CAUSE"}, `unknown cause "NOT_A_CAUSE"`},
		{[]string{"--fail", "0.1"}, "want SHARE:CAUSE"},
		{[]string{"--cores", "0"}, "--cores must be at least 1"},
		{[]string{"--rtp-ports", "-3"}, "--rtp-ports must be at least 1"},
		{[]string{"--setup-cost", "0"}, "--setup-cost must be more than 0"},
		{[]string{"--hold-cost", "-1ms"}, `"--hold-cost" flag: negative`},
		{[]string{"--sip-port", "-1"}, "--sip-port -1"},
		{[]string{"--sip-port", "65535", "--servers", "2"}, "--sip-port 65535"},
		{[]string{"--servers", "0"}, "--servers must be at least 1"},
		{[]string{"--listen", "nowhere"}, "--listen"},
		{[]string{"--listen", "127.0.0.1:99999"}, "--listen: bad port"},
		// Remote clients would log in with the well-known default password.
		{[]string{"--listen", "0.0.0.0:0"}, "--listen 0.0.0.0:0 is not a loopback address"},
		{[]string{"--listen", "0.0.0.0:0", "--password", "ClueCon"}, "is not a loopback address"},
		{[]string{"--listen", "0.0.0.0:0", "--password", ""}, "is not a loopback address"},
		{[]string{"--listen", ":0"}, "--listen :0 is not a loopback address"},
		{[]string{"--listen", "[::]:0"}, "is not a loopback address"},
		{[]string{"--listen", "192.0.2.1:0"}, "is not a loopback address"},
		{[]string{"--listen", "fs.example.com:0"}, "is not a loopback address"},
		{[]string{"--dtmf-drop", "NaN"}, `invalid argument "NaN" for "--dtmf-drop" flag: not a share in [0,1]`},
		{[]string{"--dtmf-drop", "1.01"}, `"--dtmf-drop" flag: not a share in [0,1]`},
		{[]string{"--dtmf-reorder", "-0.1"}, `"--dtmf-reorder" flag: not a share in [0,1]`},
		{[]string{"--audio-loss", "Inf"}, `"--audio-loss" flag: not a share in [0,1]`},
		{[]string{"--audio-loss", "5%"}, `"--audio-loss" flag: not a share in [0,1]`},
		{[]string{"--mute", "-Inf"}, `"--mute" flag: not a share in [0,1]`},
		{[]string{"--mute", "2"}, `"--mute" flag: not a share in [0,1]`},
		{[]string{"--loss-burst", "0"}, "--loss-burst must be more than 0"},
		{[]string{"--loss-burst", "-20ms"}, `"--loss-burst" flag: negative`},
		{[]string{"--loss-burst", "NaN"}, `"--loss-burst" flag: not a duration`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			args := append([]string{"emulate", "--listen", "127.0.0.1:0"}, tc.args...)
			out, _, err := runRoot(ctx, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line containing %q", err, tc.want)
			}
			if out.String() != "" {
				t.Fatalf("a server started: %q", out)
			}
		})
	}
}

// TestEmulateListen: a loopback listener may keep the default password; any
// other needs one of the user's own, and only then accepts remote clients.
func TestEmulateListen(t *testing.T) {
	cases := []struct {
		args     []string
		ok       bool
		loopback bool
	}{
		{nil, true, true},
		{[]string{"--listen", "127.0.0.1:8021"}, true, true},
		{[]string{"--listen", "127.0.0.2:0"}, true, true},
		{[]string{"--listen", "[::1]:8021"}, true, true},
		{[]string{"--listen", "localhost:8021"}, true, true},
		{[]string{"--listen", "127.0.0.1:0", "--password", "s3cret"}, true, true},
		{[]string{"--listen", "0.0.0.0:8021", "--password", "s3cret"}, true, false},
		{[]string{"--listen", "[::]:8021", "--password", "s3cret"}, true, false},
		{[]string{"--listen", "10.1.2.3:8021", "--password", "s3cret"}, true, false},
		{[]string{"--listen", "0.0.0.0:8021"}, false, false},
		{[]string{"--listen", "10.1.2.3:8021", "--password", "ClueCon"}, false, false},
		{[]string{"--listen", "fs1:8021"}, false, false},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var o emulateFlags
			cmd := newEmulateCmdWith(&o)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			host, _, _, _, err := o.settings(cmd)
			if (err == nil) != tc.ok {
				t.Fatalf("settings: %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("the error shows the password: %v", err)
				}
				return
			}
			if got := localhttp.IsLoopback(host); got != tc.loopback {
				t.Fatalf("host %q: loopback %v, want %v", host, got, tc.loopback)
			}
		})
	}
}

// TestEmulateFlags: each far-end and capacity flag reaches fsemu.Inbound
// and fsemu.Capacity; durations take seconds or Go durations.
func TestEmulateFlags(t *testing.T) {
	cases := []struct {
		args     []string
		in       fsemu.Inbound
		capacity *fsemu.Capacity
	}{
		{nil, fsemu.Inbound{Action: "park", NoAnswerCause: "NO_ANSWER"}, nil},
		{[]string{"--ring", "30"}, fsemu.Inbound{Action: "park", RingTime: 30 * time.Second, NoAnswerCause: "NO_ANSWER"}, nil},
		{[]string{"--early-media", "1.5"}, fsemu.Inbound{Action: "park", EarlyMedia: 1500 * time.Millisecond, NoAnswerCause: "NO_ANSWER"}, nil},
		{[]string{"--early-media", "1.5s", "--ring", "1m"}, fsemu.Inbound{Action: "park", RingTime: time.Minute,
			EarlyMedia: 1500 * time.Millisecond, NoAnswerCause: "NO_ANSWER"}, nil},
		{[]string{"--answer-delay", "0.25"}, fsemu.Inbound{Action: "answer", AnswerDelay: 250 * time.Millisecond, NoAnswerCause: "NO_ANSWER"}, nil},
		{[]string{"--answer-delay", "2", "--action", "echo"}, fsemu.Inbound{Action: "echo", AnswerDelay: 2 * time.Second, NoAnswerCause: "NO_ANSWER"}, nil},
		{[]string{"--hangup-after", "90"}, fsemu.Inbound{Action: "answer", TalkTime: 90 * time.Second, NoAnswerCause: "NO_ANSWER"}, nil},
		{[]string{"--action", "noanswer", "--no-answer-after", "6", "--no-answer-cause", "no_user_response"},
			fsemu.Inbound{Action: "noanswer", NoAnswerAfter: 6 * time.Second, NoAnswerCause: "NO_USER_RESPONSE"}, nil},
		{[]string{"--action", "answer", "--fail", "0.1:user_busy, 0.05:CALL_REJECTED"}, fsemu.Inbound{Action: "answer",
			Failures: []fsemu.Failure{{Cause: "USER_BUSY", Share: 0.1}, {Cause: "CALL_REJECTED", Share: 0.05}}, NoAnswerCause: "NO_ANSWER"}, nil},
		{[]string{"--cores", "4", "--setup-cost", "10ms"}, fsemu.Inbound{Action: "park", NoAnswerCause: "NO_ANSWER"},
			&fsemu.Capacity{Cores: 4, SetupCost: 10 * time.Millisecond}},
		{[]string{"--hold-cost", "0.002", "--rtp-ports", "100"}, fsemu.Inbound{Action: "park", NoAnswerCause: "NO_ANSWER"},
			&fsemu.Capacity{HoldCostPerSecond: 2 * time.Millisecond, RTPPorts: 100}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var o emulateFlags
			cmd := newEmulateCmdWith(&o)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			_, _, in, capacity, err := o.settings(cmd)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in, tc.in) {
				t.Errorf("far end %+v, want %+v", in, tc.in)
			}
			if !reflect.DeepEqual(capacity, tc.capacity) {
				t.Errorf("capacity %+v, want %+v", capacity, tc.capacity)
			}
		})
	}
}

// TestEmulateImpairments: the media impairment flags reach
// fsemu.Impairments; --loss-burst takes seconds or Go durations and
// defaults to 100 ms.
func TestEmulateImpairments(t *testing.T) {
	const burst = 100 * time.Millisecond
	cases := []struct {
		args []string
		want fsemu.Impairments
	}{
		{nil, fsemu.Impairments{LossBurst: burst}},
		{[]string{"--dtmf-drop", "0.5"}, fsemu.Impairments{DTMFDrop: 0.5, LossBurst: burst}},
		{[]string{"--dtmf-reorder", "1"}, fsemu.Impairments{DTMFReorder: 1, LossBurst: burst}},
		{[]string{"--audio-loss", "0.05", "--loss-burst", "0.2"}, fsemu.Impairments{AudioLoss: 0.05, LossBurst: 200 * time.Millisecond}},
		{[]string{"--audio-loss", "0", "--loss-burst", "60ms"}, fsemu.Impairments{LossBurst: 60 * time.Millisecond}},
		{[]string{"--mute", "0.01", "--dtmf-drop", "0"}, fsemu.Impairments{Mute: 0.01, LossBurst: burst}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var o emulateFlags
			cmd := newEmulateCmdWith(&o)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := o.impairments()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("impairments %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestEmulateFarEnd runs emulate in-process and calls its server from
// itself: the far-end flags decide the originate's result.
func TestEmulateFarEnd(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cases := []struct {
		flags []string
		want  string // the job's result: "+OK" (then disp is the A leg's endpoint_disposition) or the error
		disp  string
	}{
		// early media ends the originate before any answer
		{[]string{"--early-media", "60"}, "+OK", "EARLY MEDIA"},
		{[]string{"--answer-delay", "0.01"}, "+OK", "ANSWER"},
		{[]string{"--fail", "1:USER_BUSY"}, "-ERR USER_BUSY", ""},
		{[]string{"--action", "noanswer", "--no-answer-after", "0.01", "--no-answer-cause", "NO_USER_RESPONSE"},
			"-ERR NO_USER_RESPONSE", ""},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			addr, sip := runEmulate(t, ctx, tc.flags...)
			conn, err := esl.Dial(ctx, addr, esl.Config{Password: "ClueCon"})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			const id = "e0000000-0000-0000-0000-000000000001"
			// rtp_digit_delay=0: the digits go out back to back, 60 ms each,
			// as FreeSWITCH sends them; the kill comes after the last
			job, err := conn.BgAPI(ctx, "originate {origination_uuid="+id+",rtp_digit_delay=0}sofia/external/1000@"+sip+" &park()")
			if err != nil {
				t.Fatal(err)
			}
			res, err := job.Wait(ctx)
			if tc.want != "+OK" {
				// a failed job is an error carrying FreeSWITCH's reply
				if err == nil || !strings.HasSuffix(err.Error(), ": "+tc.want) {
					t.Fatalf("originate: %q, %v; want the error %q", res, err, tc.want)
				}
				return
			}
			if err != nil || res != "+OK "+id+"\n" {
				t.Fatalf("originate: %q, %v", res, err)
			}
			if got, _ := conn.API(ctx, "uuid_getvar "+id+" endpoint_disposition"); got != tc.disp {
				t.Fatalf("A leg endpoint_disposition %q, want %q", got, tc.disp)
			}
		})
	}
}

// TestEmulateImpairedDTMF runs emulate in-process with and without
// --dtmf-drop 1 and sends DTMF across one of its calls: the called leg
// receives the digits (its digits_dialed at hang-up) only without it.
func TestEmulateImpairedDTMF(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cases := []struct {
		flags []string
		want  string // the called leg's digits_dialed
	}{
		{[]string{"--action", "answer"}, "123"},
		{[]string{"--action", "answer", "--dtmf-drop", "1"}, "none"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			addr, sip := runEmulate(t, ctx, tc.flags...)
			conn, err := esl.Dial(ctx, addr, esl.Config{Password: "ClueCon"})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := conn.Subscribe(ctx, wire.FormatPlain, "CHANNEL_HANGUP_COMPLETE"); err != nil {
				t.Fatal(err)
			}
			const id = "e0000000-0000-0000-0000-000000000002"
			// rtp_digit_delay=0: the digits go out back to back, 60 ms each,
			// as FreeSWITCH sends them; the kill comes after the last
			job, err := conn.BgAPI(ctx, "originate {origination_uuid="+id+",rtp_digit_delay=0}sofia/external/1000@"+sip+" &park()")
			if err != nil {
				t.Fatal(err)
			}
			if res, err := job.Wait(ctx); err != nil || res != "+OK "+id+"\n" {
				t.Fatalf("originate: %q, %v", res, err)
			}
			for _, cmd := range []string{"uuid_send_dtmf " + id + " 123@60", "uuid_kill " + id} {
				if strings.HasPrefix(cmd, "uuid_kill") {
					time.Sleep(500 * time.Millisecond)
				}
				if out, err := conn.API(ctx, cmd); err != nil || !strings.HasPrefix(out, "+OK") {
					t.Fatalf("%s: %q, %v", cmd, out, err)
				}
			}
			for {
				select {
				case ev := <-conn.Events():
					if ev.Name() == "CHANNEL_HANGUP_COMPLETE" && ev.UniqueID() != id {
						if got := ev.Var("digits_dialed"); got != tc.want {
							t.Fatalf("called leg's digits_dialed %q, want %q", got, tc.want)
						}
						return
					}
				case <-ctx.Done():
					t.Fatal("no hang-up of the called leg")
				}
			}
		})
	}
}

// runEmulate runs switchio emulate in process with flags on a free loopback port
// until the test ends, and returns its first server's ESL and SIP
// addresses, as it prints them.
func runEmulate(t *testing.T, ctx context.Context, flags ...string) (addr, sip string) {
	t.Helper()
	run, stop := context.WithCancel(ctx)
	stdout := &outBuffer{}
	root := newRootCmd()
	root.SetArgs(append([]string{"emulate", "--listen", "127.0.0.1:0"}, flags...))
	root.SetOut(stdout)
	root.SetErr(&outBuffer{})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(run) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("emulate: %v", err)
		}
	})
	var line string
	for line == "" {
		select {
		case <-ctx.Done():
			t.Fatalf("emulate printed %q", stdout.String())
		case <-time.After(5 * time.Millisecond):
			line = stdout.String()
		}
	}
	f := strings.Fields(line) // fs1 esl=... sip=... password=...
	return strings.TrimPrefix(f[1], "esl="), strings.TrimPrefix(f[2], "sip=")
}
