package script

import (
	"fmt"
	"strings"
)

// Entry is one name of the script API: a function a file is handed, or an
// attribute of what handlers get (s, ev, s.call).
type Entry struct {
	// Name is as written in a script ("app(...)", "s.answer()").
	Name string
	// Doc says what it does.
	Doc string
}

// Reference returns the script API, in the order docs/apps.md lists it. A
// test checks it names every function and attribute the package hands
// scripts, and that docs/apps.md holds its Markdown.
func Reference() []Entry {
	return []Entry{
		{"app(name, on, description = \"\", params = {}, verdicts = [], audio = \"\", check = None, on_load = None, max_hold = None)", "declares an app: handlers by event name, parameters, verdicts, the legs that need audio (none, caller, callee, both), an audio check, a hook on_load(app, offered) whose result handlers see as app.state, and max_hold(app, hold_ms) -> ms, which makes the app end its calls itself"},
		{"param(default, help = \"\")", "a parameter; its default's type (int, float, bool, string) is its type"},
		{"verdict(name, kind, doc = \"\", check = False)", "a verdict column: kind bool, int, float or string; a bool check counts in media_failed when false"},
		{"audio_check(freq, max_gap_ms = 0, dir = \"\", readdir = \"\", keep = False)", "what s.check_audio records and checks: a steady tone of freq Hz (apps/audiocheck's verdicts)"},
		{"now_ms()", "this host's clock, ms since the Unix epoch"},
		{"options(...)", "in a test file (switchio run): the run's options, each a dial flag; see docs/tests.md"},
		{"s.uuid, s.inbound, s.answered", "the leg's uuid, direction and whether it was answered"},
		{"s.var(name)", "a channel variable switchio has seen (None when unset)"},
		{"s.call", "the call (both legs), or None"},
		{"s.peer", "the call's other leg, or None"},
		{"s.answer(), s.park(), s.echo()", "queue the command"},
		{"s.hangup(cause = \"\")", "queue a hang-up"},
		{"s.playback(url, loops = 1)", "queue a playback (loops = -1: endless)"},
		{"s.broadcast(path, leg = \"aleg\")", "queue uuid_broadcast"},
		{"s.send_dtmf(digits, duration_ms = 0, delay_ms = 0)", "queue DTMF, at once or after delay_ms"},
		{"s.setvar(name, value)", "queue uuid_setvar"},
		{"s.sched_hangup(seconds, cause = \"\")", "queue a hang-up scheduled on the server"},
		{"s.bridge(dial_string)", "queue a bridge"},
		{"s.start_record(path), s.stop_record(path)", "queue uuid_record start or stop"},
		{"s.execute(app, arg = \"\")", "queue a dialplan application"},
		{"s.check_audio(name)", "record what the leg hears from now and check it (the app's audio_check)"},
		{"ev.name, ev.body", "the event's name (\"CUSTOM sub\" for custom events) and body"},
		{"ev.get(header), ev.var(name)", "a header, or a channel variable (variable_name); None when absent"},
		{"call.key", "the call's correlation key"},
		{"call.get(name, default = None), call.set(name, value)", "the app's state on the call (values are frozen when set)"},
		{"call.append(name, text)", "append to the call's text name and return it all, atomically across legs"},
		{"call.once(name)", "True the first time only, atomically across legs"},
		{"call.verdict(name, value)", "set a declared verdict"},
		{"call.pend(name), call.drop(name)", "make the record wait for a verdict; set it null"},
		{"call.skip_check(reason)", "the media check could not be made (media_unchecked)"},
		{"call.completed()", "a self-ending app ends the call as planned: it counts as completed, not dropped"},
		{"app.offered, app.state", "in handlers: the load the dialer offers (rate, limit, hold_ms, hold; None under serve) and what on_load returned for it"},
	}
}

// ReferenceMarkdown renders Reference as the table docs/apps.md holds.
func ReferenceMarkdown() string {
	var b strings.Builder
	b.WriteString("| name | what it does |\n|---|---|\n")
	for _, e := range Reference() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", e.Name, e.Doc)
	}
	return b.String()
}
