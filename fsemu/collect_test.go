package fsemu

import (
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// collectRun executes app(arg) on the answered, parked A leg of an
// impairedCall, sends each burst of digits from the B leg at its virtual
// time after the app started, and returns the A leg's trace up to the
// app's CHANNEL_EXECUTE_COMPLETE (or CHANNEL_HANGUP): "EXECUTE app",
// "PLAYBACK_START file", "PLAYBACK_STOP file status", "DTMF d",
// "COMPLETE app response", "HANGUP cause".
func collectRun(t *testing.T, im Impairments, app, arg string, sends map[time.Duration]string) (*Server, []string) {
	t.Helper()
	c, clock, b := impairedCall(t, 2, im, "")
	fs1, fs2 := c.Server(0), c.Server(1)
	conn := dialESL(t, fs1)
	if err := conn.Subscribe(ctxT(t), wire.FormatPlain, "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE",
		"PLAYBACK_START", "PLAYBACK_STOP", "DTMF", "CHANNEL_HANGUP"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Execute(ctxT(t), impairA, app, arg); err != nil {
		t.Fatal(err)
	}
	var trace []string
	step := func(e *wire.Event) bool {
		if e.UniqueID() != impairA {
			return false
		}
		switch e.Name() {
		case "CHANNEL_EXECUTE":
			trace = append(trace, "EXECUTE "+e.Get("Application"))
		case "PLAYBACK_START":
			trace = append(trace, "PLAYBACK_START "+e.Get("Playback-File-Path"))
		case "PLAYBACK_STOP":
			trace = append(trace, "PLAYBACK_STOP "+e.Get("Playback-File-Path")+" "+e.Get("Playback-Status"))
		case "DTMF":
			trace = append(trace, "DTMF "+e.Get("DTMF-Digit"))
		case "CHANNEL_EXECUTE_COMPLETE":
			trace = append(trace, "COMPLETE "+e.Get("Application")+" "+e.Get("Application-Response"))
			return e.Get("Application") == app
		case "CHANNEL_HANGUP":
			trace = append(trace, "HANGUP "+e.Get("Hangup-Cause"))
			return true
		}
		return false
	}
	if waitFor(t, conn, func(e *wire.Event) bool {
		return step(e) || e.Name() == "CHANNEL_EXECUTE" && e.UniqueID() == impairA && e.Get("Application") == app
	}); strings.HasPrefix(trace[len(trace)-1], "HANGUP") {
		return fs1, trace
	}
	for at := time.Duration(0); at < 20*time.Second; at += 50 * time.Millisecond {
		if d, ok := sends[at]; ok {
			api(t, fs2, "uuid_send_dtmf "+b+" "+d, "+OK "+b+" sent DTMF "+d+".\n")
		}
		clock.Advance(50 * time.Millisecond)
	}
	waitFor(t, conn, step)
	return fs1, trace
}

// TestReadAndPlayAndGetDigits: read and play_and_get_digits as
// mod_dptools.c (read_function, play_and_get_digits_function) and
// switch_ivr_play_say.c (switch_ivr_read, switch_play_and_get_digits) run
// them. The traces marked "real" were captured on FreeSWITCH 1.10.12
// (sendmsg execute on an answered, parked sofia leg; the digits sent with
// uuid_send_dtmf from the far leg a second after the app started): a
// digit breaks the prompt (PLAYBACK_STOP "break") and is the first one
// collected, the terminator ends the read and is not kept, the response
// stays _none_, and a try that fails plays the invalid-input file.
func TestReadAndPlayAndGetDigits(t *testing.T) {
	const pagd = "2 4 2 1500 # silence_stream://3000 silence_stream://250 pin \\d+ 1000"
	cases := []struct {
		name  string
		im    Impairments
		app   string
		arg   string
		sends map[time.Duration]string
		trace []string
		vars  map[string]string // "" is unset
	}{
		{"read, real: a digit breaks the prompt, # ends", Impairments{}, "read", "2 4 silence_stream://3000 pin 2000 #",
			map[time.Duration]string{time.Second: "12#"},
			[]string{"EXECUTE read", "PLAYBACK_START silence_stream://3000", "DTMF 1",
				"PLAYBACK_STOP silence_stream://3000 break", "DTMF 2", "DTMF #", "COMPLETE read _none_"},
			map[string]string{"pin": "12", "read_result": "success", "read_terminator_used": "#"}},
		{"play_and_get_digits, real: success", Impairments{}, "play_and_get_digits", pagd,
			map[time.Duration]string{time.Second: "123#"},
			[]string{"EXECUTE play_and_get_digits", "PLAYBACK_START silence_stream://3000", "DTMF 1",
				"PLAYBACK_STOP silence_stream://3000 break", "DTMF 2", "DTMF 3", "DTMF #",
				"COMPLETE play_and_get_digits _none_"},
			map[string]string{"pin": "123", "read_result": "success", "read_terminator_used": "#"}},
		{"play_and_get_digits, real: too few digits on both tries", Impairments{}, "play_and_get_digits", pagd,
			map[time.Duration]string{time.Second: "1"},
			[]string{"EXECUTE play_and_get_digits", "PLAYBACK_START silence_stream://3000", "DTMF 1",
				"PLAYBACK_STOP silence_stream://3000 break",
				"PLAYBACK_START silence_stream://250", "PLAYBACK_STOP silence_stream://250 done",
				"PLAYBACK_START silence_stream://3000", "PLAYBACK_STOP silence_stream://3000 done",
				"PLAYBACK_START silence_stream://250", "PLAYBACK_STOP silence_stream://250 done",
				"COMPLETE play_and_get_digits _none_"},
			map[string]string{"pin": "", "read_result": "failure"}},
		{"the digits lost on the way: the app under test sees nothing", Impairments{DTMFDrop: 1}, "play_and_get_digits", pagd,
			map[time.Duration]string{time.Second: "123#"},
			[]string{"EXECUTE play_and_get_digits",
				"PLAYBACK_START silence_stream://3000", "PLAYBACK_STOP silence_stream://3000 done",
				"PLAYBACK_START silence_stream://250", "PLAYBACK_STOP silence_stream://250 done",
				"PLAYBACK_START silence_stream://3000", "PLAYBACK_STOP silence_stream://3000 done",
				"PLAYBACK_START silence_stream://250", "PLAYBACK_STOP silence_stream://250 done",
				"COMPLETE play_and_get_digits _none_"},
			map[string]string{"pin": "", "read_result": "failure"}},
		// a burst's digits arrive 520 ms apart (default duration and
		// rtp_digit_delay, fsemu/dtmf.go): a 1.5 s inter-digit timeout
		// lets the second in, then ends the read
		{"read: enough digits, then the inter-digit timeout", Impairments{}, "read", "1 3 silence pin 1000 # 1500",
			map[time.Duration]string{200 * time.Millisecond: "12"},
			[]string{"EXECUTE read", "DTMF 1", "DTMF 2", "COMPLETE read _none_"},
			map[string]string{"pin": "12", "read_result": "timeout"}},
		{"read: max digits end it without a terminator", Impairments{}, "read", "1 3 silence pin 5000",
			map[time.Duration]string{200 * time.Millisecond: "1234"},
			[]string{"EXECUTE read", "DTMF 1", "DTMF 2", "DTMF 3", "COMPLETE read _none_"},
			map[string]string{"pin": "123", "read_result": "success"}},
		{"play_and_get_digits: a regexp mismatch sets <var>_invalid", Impairments{}, "play_and_get_digits",
			"1 4 1 1000 # silence silence_stream://250 pin ^9",
			map[time.Duration]string{200 * time.Millisecond: "12#"},
			[]string{"EXECUTE play_and_get_digits", "DTMF 1", "DTMF 2", "DTMF #",
				"PLAYBACK_START silence_stream://250", "PLAYBACK_STOP silence_stream://250 done",
				"COMPLETE play_and_get_digits _none_"},
			map[string]string{"pin": "", "pin_invalid": "12", "read_result": "success"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs1, trace := collectRun(t, tc.im, tc.app, tc.arg, tc.sends)
			if strings.Join(trace, "\n") != strings.Join(tc.trace, "\n") {
				t.Fatalf("trace:\n  %s\nwant:\n  %s", strings.Join(trace, "\n  "), strings.Join(tc.trace, "\n  "))
			}
			for k, want := range tc.vars {
				got := strings.TrimSuffix(apiText(fs1, "uuid_getvar "+impairA+" "+k), "\n")
				if want == "" {
					want = "_undef_"
				}
				if got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
