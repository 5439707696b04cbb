package fsemu

import (
	"testing"
)

// TestOddCommands feeds malformed api commands; none may panic or hang.
func TestOddCommands(t *testing.T) {
	s := RunT(t, Config{Inbound: Inbound{Action: "answer"}})
	up := apiText(s, "originate {origination_uuid=abababab-0000-0000-0000-000000000001}sofia/external/1000@"+s.SIPAddr()+" &park()")
	if up[0] != '+' {
		t.Fatal(up)
	}
	for _, cmd := range []string{
		"originate {", "originate {a=b &park()", "originate sofia/ &park()", "originate sofia/external/@ &park()",
		"originate loopback/ &park()", "originate [x=1 &park()", "originate <> &park()", "originate sofia/external/1000@h:x &(",
		"originate error/USER_BUSY &park()", "originate null/1 &park()", "uuid_broadcast x", "uuid_broadcast abababab-0000-0000-0000-000000000001",
		"show", "show channels as", "show calls as xml", "show channels like", "fsctl", "fsctl sps abc", "fsctl nonsense",
		"uuid_setvar", "uuid_getvar", "uuid_setvar_multi abababab-0000-0000-0000-000000000001",
		"sched_hangup +x abababab-0000-0000-0000-000000000001", "sched_hangup", "hupall FOO var",
		"uuid_transfer x", "uuid_transfer abababab-0000-0000-0000-000000000001 -bleg",
		"uuid_record abababab-0000-0000-0000-000000000001 start", "uuid_record abababab-0000-0000-0000-000000000001 frobnicate x",
		"sofia status profile", "sofia status gateway x", "sofia", "global_setvar", "global_getvar", "uuid_send_dtmf",
		"uuid_dump", "uuid_bridge a", "uuid_audio x", "uuid_break", "uuid_park", "uuid_kill", "uuid_answer", "eval ${",
		"uuid_broadcast abababab-0000-0000-0000-000000000001 playback::/nonexistent.wav aleg",
		"uuid_broadcast abababab-0000-0000-0000-000000000001 silence_stream://-1 both",
		"uuid_break abababab-0000-0000-0000-000000000001 all",
		"uuid_kill abababab-0000-0000-0000-000000000001 NOT_A_CAUSE",
	} {
		if out := apiText(s, cmd); out == "" {
			t.Errorf("%q: empty output", cmd)
		}
	}
	if n := s.ChannelCount(); n > 1 {
		t.Fatalf("%d channels left", n)
	}
}
