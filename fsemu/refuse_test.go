package fsemu

import (
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// TestRefuseApplication: an application FreeSWITCH does not have is
// refused before it runs, on every path that runs one. Captured on
// FreeSWITCH 1.10.12 (sendmsg execute of "playbak", "avmd_start" — mod_avmd
// is not loaded there — on an answered, parked sofia leg; uuid_broadcast
// playbak::foo; originate ... &playbak(foo)): the log line
// "[ERR] switch_core_session.c:2766 Invalid Application playbak"
// (switch_core_session_execute_application_get_flags), no CHANNEL_EXECUTE
// for it, CHANNEL_HANGUP with DESTINATION_OUT_OF_ORDER, then a parked
// leg's CHANNEL_UNPARK and park's CHANNEL_EXECUTE_COMPLETE; originate
// still answers +OK. An application FreeSWITCH has but fsemu does not
// emulate is refused the same way, with a warning saying so first.
func TestRefuseApplication(t *testing.T) {
	cases := []struct {
		path, app string
		warn      bool // the "not emulated" warning
	}{
		{"sendmsg", "playbak", false},
		{"sendmsg", "avmd_start", false},
		{"sendmsg", "avmd_stop", false},
		{"sendmsg", "tone_detect", true},
		{"broadcast", "playbak", false},
		{"originate", "playbak", false},
		{"transfer inline", "playbak", false},
	}
	for _, tc := range cases {
		t.Run(tc.path+" "+tc.app, func(t *testing.T) {
			clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			c := RunClusterT(t, 2, Config{Clock: clock, HeartbeatInterval: -1, Inbound: Inbound{Action: "answer"}})
			fs1 := c.Server(0)
			conn := dialESL(t, fs1)
			ctx := ctxT(t)
			if err := conn.Subscribe(ctx, wire.FormatPlain, "ALL"); err != nil {
				t.Fatal(err)
			}
			if err := conn.Log(ctx, "7"); err != nil {
				t.Fatal(err)
			}
			first := "&park()"
			if tc.path == "originate" {
				first = "&" + tc.app + "(foo)"
			}
			res := bgOriginate(fs1, "{origination_uuid="+impairA+"}sofia/external/1000@"+c.Server(1).SIPAddr()+" "+first)
			if got := waitResult(t, res, clock, 10*time.Millisecond); got != "+OK "+impairA+"\n" {
				t.Fatalf("originate: %q", got)
			}
			switch tc.path {
			case "sendmsg":
				if err := conn.Execute(ctx, impairA, tc.app, "foo"); err != nil {
					t.Fatal(err)
				}
			case "broadcast":
				api(t, fs1, "uuid_broadcast "+impairA+" "+tc.app+"::foo aleg", "+OK Message sent\n")
			case "transfer inline":
				api(t, fs1, "uuid_transfer "+impairA+" '"+tc.app+":foo' inline", "+OK\n")
			}
			var names []string
			for _, e := range untilHangup(t, conn, impairA) {
				if e.UniqueID() != impairA {
					continue
				}
				if e.Name() == "CHANNEL_EXECUTE" && e.Get("Application") == tc.app {
					t.Fatalf("CHANNEL_EXECUTE of %s: FreeSWITCH raises none", tc.app)
				}
				if e.Name() == "CHANNEL_HANGUP" {
					if got := e.Get("Hangup-Cause"); got != "DESTINATION_OUT_OF_ORDER" {
						t.Fatalf("hang-up cause %s, want DESTINATION_OUT_OF_ORDER", got)
					}
				}
				names = append(names, e.Name())
			}
			seq := strings.Join(names, " ")
			want := "CHANNEL_HANGUP CHANNEL_UNPARK CHANNEL_EXECUTE_COMPLETE"
			if tc.path == "broadcast" {
				want = "CHANNEL_HANGUP COMMAND CHANNEL_UNPARK CHANNEL_EXECUTE_COMPLETE"
			}
			if tc.path == "originate" || tc.path == "transfer inline" {
				// (the transfer ended park first; this path was not
				// captured)
				want = "CHANNEL_HANGUP CHANNEL_STATE CHANNEL_CALLSTATE"
			}
			if !strings.Contains(seq, want) {
				t.Fatalf("events %s, want %s in them", seq, want)
			}
			var logs []string
			for len(logs) < 10 {
				select {
				case l := <-conn.Logs():
					if l.Level <= 4 {
						logs = append(logs, l.Text)
					}
					continue
				case <-time.After(200 * time.Millisecond):
				}
				break
			}
			all := strings.Join(logs, "")
			if !strings.Contains(all, "[ERR] switch_core_session.c:2766 Invalid Application "+tc.app+"\n") {
				t.Fatalf("logs %q: no Invalid Application line", logs)
			}
			if got := strings.Contains(all, "not emulated"); got != tc.warn {
				t.Fatalf("logs %q: not-emulated warning %v, want %v", logs, got, tc.warn)
			}
		})
	}
}

// TestSpeakWithoutTTS: the reference FreeSWITCH 1.10.12 loads no TTS
// module. Captured there ("speak flite|kal|hello" by sendmsg on an
// answered, parked leg): CHANNEL_EXECUTE, CHANNEL_EXECUTE_COMPLETE with
// _none_, the call stays up, and two ERR lines:
// "switch_core_speech.c:62 Invalid speech module [flite]!" and
// "switch_ivr_play_say.c:3091 Invalid TTS module flite[kal]!".
func TestSpeakWithoutTTS(t *testing.T) {
	_, trace := collectRun(t, Impairments{}, "speak", "flite|kal|hello", nil)
	want := []string{"EXECUTE speak", "COMPLETE speak _none_"}
	if strings.Join(trace, "\n") != strings.Join(want, "\n") {
		t.Fatalf("trace %q, want %q", trace, want)
	}
	_, trace = collectRun(t, Impairments{}, "speak", "hello", nil)
	want = []string{"EXECUTE speak", "HANGUP DESTINATION_OUT_OF_ORDER"}
	if strings.Join(trace, "\n") != strings.Join(want, "\n") {
		t.Fatalf("no engine or voice (mod_dptools.c speak_function): trace %q, want %q", trace, want)
	}
}
