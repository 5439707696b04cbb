package fsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// uuidArgs checks a uuid_* command's fields: at least min of them, the
// first naming a live channel. Otherwise it answers "-USAGE: <usage>" or
// the command's own missing-channel reply (FreeSWITCH words it differently
// per command) and returns nil.
func uuidArgs(s *Server, f []string, min int, usage, missing string, done func(string)) *channel {
	if len(f) < min {
		done("-USAGE: " + usage + "\n")
		return nil
	}
	return liveChannel(s, f[0], missing, done)
}

// liveChannel returns the live channel id names, or answers missing (the
// command's own wording) and returns nil.
func liveChannel(s *Server, id, missing string, done func(string)) *channel {
	ch := s.channels[id]
	if ch == nil || ch.gone() {
		done(missing + "\n")
		return nil
	}
	return ch
}

func withChan(s *Server, a string, done func(string), f func(*channel) string) {
	id, _ := splitCmd(a)
	if ch := liveChannel(s, id, "-ERR No such channel!", done); ch != nil {
		done(f(ch))
	}
}

func apiUUIDKill(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	ch := uuidArgs(s, f, 1, "<uuid> [cause]", "-ERR No such channel!", done)
	if ch == nil {
		return
	}
	cause := "NORMAL_CLEARING"
	if len(f) > 1 {
		cause = strings.ToUpper(f[1])
	}
	done("+OK\n")
	s.hangup(ch, cause)
}

func apiUUIDAnswer(s *Server, a string, done func(string)) {
	id, _ := splitCmd(a)
	ch := liveChannel(s, id, "-ERROR", done)
	if ch == nil {
		return
	}
	done("+OK\n")
	ch.answerLocal()
}

func apiUUIDPreAnswer(s *Server, a string, done func(string)) {
	id, _ := splitCmd(a)
	ch := liveChannel(s, id, "-ERROR", done)
	if ch == nil {
		return
	}
	done("+OK\n")
	ch.preAnswerLocal()
}

func apiUUIDPark(s *Server, a string, done func(string)) {
	withChan(s, a, done, func(ch *channel) string {
		ch.breakApps(true)
		if n := len(ch.apps); n == 0 || ch.apps[n-1].name != "park" {
			ch.queue = append(ch.queue, queuedApp{name: "park", loops: 1})
			ch.runNext()
		}
		return "+OK\n"
	})
}

func apiUUIDSetvar(s *Server, a string, done func(string)) {
	f := strings.SplitN(a, " ", 3)
	ch := uuidArgs(s, f, 2, "<uuid> <var> [value]", "-ERR No such channel!", done)
	if ch == nil {
		return
	}
	v := ""
	if len(f) > 2 {
		v = f[2]
	}
	ch.setVar(f[1], v)
	done("+OK\n")
}

func apiUUIDSetvarMulti(s *Server, a string, done func(string)) {
	id, rest := splitCmd(a)
	if rest == "" {
		done("-USAGE: <uuid> <var>=<value>;<var>=<value>...\n")
		return
	}
	ch := liveChannel(s, id, "-ERR No such channel!", done)
	if ch == nil {
		return
	}
	for _, kvp := range strings.Split(rest, ";") {
		k, v, _ := strings.Cut(kvp, "=")
		if k = strings.TrimSpace(k); k != "" {
			ch.setVar(k, v)
		}
	}
	done("+OK\n")
}

func apiUUIDGetvar(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	ch := uuidArgs(s, f, 2, "<uuid> <var>", "-ERR No such channel!", done)
	if ch == nil {
		return
	}
	v, ok := ch.getVar(f[1])
	if !ok {
		v = "_undef_"
	}
	done(v)
}

func apiUUIDExists(s *Server, a string, done func(string)) {
	id, _ := splitCmd(a)
	ch := s.channels[id]
	done(strconv.FormatBool(ch != nil && !ch.destroyed))
}

func apiUUIDBroadcast(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	ch := uuidArgs(s, f, 2, "<uuid> <path> [aleg|bleg|both]", "-ERR invalid uuid", done)
	if ch == nil {
		return
	}
	path := f[1]
	legs := "aleg"
	if len(f) > 2 {
		legs = f[2]
	}
	targets := []*channel{ch}
	other := ch.bridged
	switch legs {
	case "bleg":
		targets = nil
		if other != nil {
			targets = []*channel{other}
		}
	case "both":
		if other != nil {
			targets = append(targets, other)
		}
	}
	done("+OK Message sent\n")
	for _, t := range targets {
		t.broadcast(path)
	}
}

// broadcast runs "app::arg" or a playback of path on the channel,
// interrupting a running playback but nesting inside park.
func (ch *channel) broadcast(path string) {
	app, arg := "playback", path
	if i := strings.Index(path, "::"); i >= 0 {
		app, arg = path[:i], path[i+2:]
	}
	cause := ""
	if i := strings.LastIndexByte(arg, '!'); i >= 0 && app != "playback" {
		cause = arg[i+1:]
		arg = arg[:i]
	}
	s := ch.s
	command := func() {
		// The COMMAND event of switch_ivr_broadcast reaches listeners after
		// the application ran.
		if s.wants(eventTypeIndex["COMMAND"]) {
			ev := s.newEventCap("COMMAND", evCommand.file, evCommand.fn, evCommand.line, 128)
			ev.Add("call-command", "execute")
			ev.Add("execute-app-name", app)
			ev.Add("execute-app-arg", arg)
			ev.Add("event-lock", "true")
			ev.Add("lead-frames", "5")
			ev.Add("Event-Name", "PRIVATE_COMMAND")
			s.appendStd(ev, "switch_ivr.c", "switch_ivr_parse_next_event", 804)
			ch.appendBlock(ev, s.verbose)
			s.fire(ev, ch)
		} else {
			s.seq += 2
		}
	}
	q := queuedApp{name: app, arg: arg, loops: 1, then: command, loopVars: true}
	if n := len(ch.apps); n > 0 && ch.apps[n-1].name != "park" {
		ch.queue = append([]queuedApp{q}, ch.queue...)
		ch.breakApps(false)
	} else {
		ch.exec(q)
	}
	if cause != "" {
		ch.queue = append(ch.queue, queuedApp{name: "hangup", arg: cause, loops: 1})
		ch.runNext()
	}
}

func apiUUIDBreak(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	ch := uuidArgs(s, f, 1, "<uuid> [all]", "-ERR No such channel!", done)
	if ch == nil {
		return
	}
	done("+OK\n")
	ch.breakApps(len(f) > 1 && f[1] == "all")
}

func apiUUIDSendDTMF(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	ch := uuidArgs(s, f, 2, "<uuid> <dtmf_data>", "-ERR Cannot locate session!", done)
	if ch == nil {
		return
	}
	done("+OK " + f[0] + " sent DTMF " + f[1] + ".\n")
	ch.sendDTMF(f[1])
}

// fieldsMax splits s on blanks into at most n fields, the last one
// keeping the rest, as switch_separate_string does with n slots.
func fieldsMax(s string, n int) []string {
	f := strings.Fields(s)
	if len(f) > n {
		f[n-1] = strings.Join(f[n-1:], " ")
		f = f[:n]
	}
	return f
}

// apiUUIDRecord is mod_commands.c session_record_function:
// "<uuid> start|stop|mask|unmask|pause|resume <path> [<limit>] [{vars}]".
func apiUUIDRecord(s *Server, a string, done func(string)) {
	const usage = "<uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]"
	f := fieldsMax(a, 5)
	ch := uuidArgs(s, f, 3, usage, "-ERR Cannot locate session!", done)
	if ch == nil {
		return
	}
	path := f[2]
	switch strings.ToLower(f[1]) {
	case "start":
		var limit time.Duration
		var vars []wire.Header
		if len(f) > 3 {
			limit = time.Duration(atoi(f[3])) * time.Second
		}
		if len(f) > 4 {
			vars = recordingVars(f[4])
		}
		if !ch.startRecord(path, limit, vars) {
			done("-ERR Cannot record session!\n")
			return
		}
	case "stop":
		if !ch.stopRecord(path) {
			done("-ERR Cannot stop record session!\n")
			return
		}
	case "mask", "unmask", "pause", "resume":
		// switch_ivr_record_session_mask / _pause find the recording by its
		// file name only
		op := strings.ToLower(f[1])
		if r := ch.record; r == nil || r.path != path {
			done("-ERR Cannot " + op + " recording session!\n")
			return
		}
		ch.record.toggle(op, s.nowMicros())
	default:
		done("-USAGE: " + usage + "\n")
		return
	}
	done("+OK Success\n")
}

// apiUUIDAudio is mod_commands.c session_audio_function:
// "<uuid> start read|write mute|level <n>" or "<uuid> stop". It answers
// before the media bug's events go out.
func apiUUIDAudio(s *Server, a string, done func(string)) {
	const usage = "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"
	f := fieldsMax(a, 5)
	if len(f) < 2 {
		done(usage)
		return
	}
	ch := liveChannel(s, f[0], "-ERR No such channel!", done)
	if ch == nil {
		return
	}
	if strings.EqualFold(f[1], "stop") {
		done("+OK\n")
		ch.stopSessionAudio()
		return
	}
	if !strings.EqualFold(f[1], "start") || len(f) < 5 || !strings.EqualFold(f[2], "read") && !strings.EqualFold(f[2], "write") {
		done(usage)
		return
	}
	cmd := strings.ToLower(f[3])
	if cmd != "mute" && cmd != "level" {
		done(usage)
		return
	}
	done("+OK\n")
	ch.sessionAudio(cmd, strings.ToLower(f[2]), atoi(f[4]))
}

func apiUUIDBridge(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	if len(f) < 2 {
		done("-USAGE: <uuid> <other_uuid>\n")
		return
	}
	x, y := s.channels[f[0]], s.channels[f[1]]
	if x == nil || y == nil || x.gone() || y.gone() {
		done("-ERR Invalid uuid\n")
		return
	}
	done("+OK " + f[1] + "\n")
	for _, c := range []*channel{x, y} {
		for i := len(c.apps) - 1; i >= 0; i-- {
			ap := c.apps[i]
			ap.stop()
			if ap.name == "park" {
				c.emit(evUnpark, nil, nil)
			}
			c.appComplete(ap)
		}
		c.apps = nil
		c.queue = nil
		c.answerLocal()
	}
	x.transferMark(y)
	y.transferMark(x)
	s.bridge(x, y)
}

func apiUUIDTransfer(s *Server, a string, done func(string)) {
	f := splitArgs(a)
	ch := uuidArgs(s, f, 2, "<uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]", "-ERR No such channel!", done)
	if ch == nil {
		return
	}
	f = f[1:]
	if f[0] == "-bleg" || f[0] == "-both" {
		if f[0] == "-bleg" && ch.bridged != nil {
			ch = ch.bridged
		}
		f = f[1:]
	}
	if len(f) == 0 {
		done("-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n")
		return
	}
	dest, dialplan, context := f[0], "XML", ch.prof.context
	if len(f) > 1 {
		dialplan = f[1]
	}
	if len(f) > 2 {
		context = f[2]
	}
	done("+OK\n")
	ch.transfer(dest, dialplan, context)
}

// transfer moves a channel to a new extension (switch_ivr_session_transfer):
// running applications end, the caller profile is renewed (index 2) and
// the dialplan, or the "inline" application list, runs.
func (ch *channel) transfer(dest, dialplan, context string) {
	s := ch.s
	for i := len(ch.apps) - 1; i >= 0; i-- {
		ap := ch.apps[i]
		ap.stop()
		if ap.name == "park" {
			ch.parked = false
			ch.emit(evUnpark, nil, nil)
		}
		ch.appComplete(ap)
	}
	ch.apps = nil
	ch.queue = nil
	ts := strconv.FormatInt(s.stampNow().Unix(), 10) + ":" + uuid.NewString() + ":bl_xfer:" + dest + "/" + context + "/" + dialplan
	ch.setVar("max_forwards", "70")
	ch.setVar("transfer_history", ts)
	ch.setVar("transfer_source", ts)
	ch.moveVar("call_uuid", ch.varOr("call_uuid", ch.uuid))
	ch.transferSrc = ts
	ch.profIndex++
	if ch.profIndex < 2 {
		ch.profIndex = 2
	}
	ch.prof.dialplan = dialplan
	ch.prof.context = context
	ch.setRunning(csRouting)
	ch.setRunning(csExecute)
	if strings.EqualFold(dialplan, "inline") {
		for _, item := range strings.Split(dest, ",") {
			app, arg, _ := strings.Cut(item, ":")
			ch.queue = append(ch.queue, queuedApp{name: strings.TrimSpace(app), arg: arg, loops: 1})
		}
	} else {
		ch.prof.dest = dest
		ch.queue = s.dialplanApps(ch, dest)
	}
	ch.runNext()
}

func apiUUIDDeflect(s *Server, a string, done func(string)) {
	withChan(s, a, done, func(ch *channel) string {
		s.hangup(ch, "NORMAL_CLEARING")
		return "+OK:deflect\n"
	})
}

func apiUUIDDump(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	ch := uuidArgs(s, f, 1, "<uuid> [format]", "-ERR No such channel!", done)
	if ch == nil {
		return
	}
	ev := s.newEventCap("CHANNEL_DATA", "mod_commands.c", "uuid_dump_function", 6468, 200)
	ch.appendBlock(ev, true)
	format := ""
	if len(f) > 1 {
		format = f[1]
	}
	switch format {
	case "json":
		done(string(ev.AppendJSON(nil)))
	case "xml":
		done(string(ev.AppendXML(nil)))
	default:
		done(string(ev.AppendPlain(nil)))
	}
}
