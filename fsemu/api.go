package fsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// apiFunc runs an api command with the lock held. It must call done
// exactly once, now or later (also with the lock held).
type apiFunc func(s *Server, args string, done func(string))

var apiTable map[string]apiFunc

func init() {
	apiTable = map[string]apiFunc{
		"status":            apiStatus,
		"version":           apiVersion,
		"hostname":          func(s *Server, _ string, done func(string)) { done(s.cfg.Hostname) },
		"global_getvar":     apiGlobalGetvar,
		"global_setvar":     apiGlobalSetvar,
		"eval":              func(s *Server, a string, done func(string)) { done(s.expand(a, nil)) },
		"create_uuid":       func(s *Server, _ string, done func(string)) { done(uuid.NewString()) },
		"echo":              func(s *Server, a string, done func(string)) { done(a) },
		"originate":         func(s *Server, a string, done func(string)) { s.originate(a, done) },
		"fsctl":             apiFsctl,
		"hupall":            apiHupall,
		"show":              apiShow,
		"sofia":             apiSofia,
		"sched_hangup":      apiSchedHangup,
		"sched_del":         apiSchedDel,
		"sched_api":         apiSchedAPI,
		"sched_transfer":    apiSchedTransfer,
		"console":           apiConsole,
		"sched_broadcast":   apiSchedBroadcast,
		"unsched_api":       apiUnschedAPI,
		"uuid_kill":         apiUUIDKill,
		"uuid_answer":       apiUUIDAnswer,
		"uuid_pre_answer":   apiUUIDPreAnswer,
		"uuid_park":         apiUUIDPark,
		"uuid_setvar":       apiUUIDSetvar,
		"uuid_setvar_multi": apiUUIDSetvarMulti,
		"uuid_getvar":       apiUUIDGetvar,
		"uuid_exists":       apiUUIDExists,
		"uuid_broadcast":    apiUUIDBroadcast,
		"uuid_break":        apiUUIDBreak,
		"uuid_send_dtmf":    apiUUIDSendDTMF,
		"uuid_record":       apiUUIDRecord,
		"uuid_audio":        apiUUIDAudio,
		"uuid_bridge":       apiUUIDBridge,
		"uuid_dump":         apiUUIDDump,
		"uuid_transfer":     apiUUIDTransfer,
		"uuid_hold": func(s *Server, a string, done func(string)) {
			withChan(s, a, done, func(*channel) string { return "+OK Success\n" })
		},
		"uuid_deflect":  apiUUIDDeflect,
		"msleep":        func(s *Server, _ string, done func(string)) { done("+OK") },
		"module_exists": func(s *Server, a string, done func(string)) { done(strconv.FormatBool(knownModule(a))) },
		"uptime": func(s *Server, a string, done func(string)) {
			done(strconv.FormatInt(int64(s.clock.Now().Sub(s.started).Seconds()), 10))
		},
	}
}

func knownModule(m string) bool {
	switch strings.TrimSpace(m) {
	case "mod_event_socket", "mod_sofia", "mod_loopback", "mod_commands", "mod_dptools", "mod_db",
		"mod_hash", "mod_expr", "mod_bert", "mod_dialplan_xml", "mod_sndfile", "mod_native_file", "mod_tone_stream",
		"mod_console", "mod_logfile": // loaded too (show modules, capture 03)
		return true
	}
	return false
}

// runAPI executes an api command line. Called with the lock held.
func (s *Server) runAPI(line string, c *conn, done func(string)) {
	cmd, arg := splitCmd(line)
	s.fireAPI(cmd, arg)
	f, ok := apiTable[strings.ToLower(cmd)]
	if !ok {
		done("-ERR " + cmd + " Command not found!\n")
		return
	}
	f(s, arg, done)
}

// API runs an api command directly (as "api <cmd>" would, without a
// connection) and returns its output; blocking commands such as originate
// wait for their result.
func (s *Server) API(cmdline string) string {
	ch := make(chan string, 1)
	s.lock()
	s.runAPI(cmdline, nil, func(out string) { ch <- out })
	s.unlock()
	out := <-ch
	if out == "" {
		out = "-ERR no reply\n"
	}
	return out
}

func apiVersion(s *Server, _ string, done func(string)) {
	done("FreeSWITCH Version " + fsVersion + " ( 64bit)\n")
}

func apiStatus(s *Server, _ string, done func(string)) {
	up := upTime(s.clock.Now().Sub(s.started))
	var b strings.Builder
	b.WriteString("UP " + up + "\n")
	b.WriteString("FreeSWITCH (Version 1.10.12-release  64bit) is ready\n")
	b.WriteString(strconv.FormatUint(s.sinceStart, 10) + " session(s) since startup\n")
	b.WriteString(strconv.Itoa(len(s.channels)) + " session(s) - peak " + strconv.Itoa(s.peak) + ", last 5min " + strconv.Itoa(s.peak) + " \n")
	b.WriteString(strconv.Itoa(s.lastSPS) + " session(s) per Sec out of max " + strconv.Itoa(s.sps) + ", peak " + strconv.Itoa(s.peakSPS) + ", last 5min " + strconv.Itoa(s.peakSPS) + " \n")
	b.WriteString(strconv.Itoa(s.maxSessions) + " session(s) max\n")
	// The second figure is the idle CPU (switch_core_idle_cpu): the
	// capacity model's when it is on, else the captured server's.
	idle := 98.0
	if s.capacity != nil {
		idle = s.capacity.idleCPU(s.clock.Now())
	}
	b.WriteString("min idle cpu 0.00/" + strconv.FormatFloat(idle, 'f', 2, 64) + "\n")
	b.WriteString("Current Stack Size/Max 240K/8192K\n")
	done(b.String())
}

func apiGlobalGetvar(s *Server, a string, done func(string)) {
	a = strings.TrimSpace(a)
	if a == "" {
		var b strings.Builder
		for _, g := range s.globals {
			b.WriteString(g.k + "=" + g.v + "\n")
		}
		done(b.String())
		return
	}
	v, _ := s.getGlobal(a)
	done(v)
}

func apiGlobalSetvar(s *Server, a string, done func(string)) {
	k, v, ok := strings.Cut(a, "=")
	if !ok {
		k, v, _ = strings.Cut(a, " ")
	}
	k = strings.TrimSpace(k)
	if k == "" {
		done("-USAGE: <var>=<value>\n")
		return
	}
	s.setGlobal(k, strings.TrimSpace(v))
	done("+OK")
}

// expand substitutes ${var} from channel then global variables.
func (s *Server) expand(str string, ch *channel) string {
	var b strings.Builder
	for {
		i := strings.Index(str, "${")
		if i < 0 {
			b.WriteString(str)
			return b.String()
		}
		j := strings.IndexByte(str[i:], '}')
		if j < 0 {
			b.WriteString(str)
			return b.String()
		}
		b.WriteString(str[:i])
		name := str[i+2 : i+j]
		var v string
		if ch != nil {
			v, _ = ch.getVar(name)
		}
		if v == "" {
			v, _ = s.getGlobal(name)
		}
		b.WriteString(v)
		str = str[i+j+1:]
	}
}

func apiFsctl(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	if len(f) == 0 {
		done("-USAGE: [recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]|shutdown [cancel|elegant|asap|now|restart]|sps|sps_peak_reset|sync_clock|sync_clock_when_idle|reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]|default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]|mdns_resolve [enable|disable]]\n")
		return
	}
	switch strings.ToLower(f[0]) {
	case "max_sessions":
		if len(f) > 1 {
			// atoi; switch_core_session_limit ignores 0
			if n := atoi(f[1]); n != 0 {
				s.maxSessions = n
			}
		}
		done("+OK max sessions: " + strconv.Itoa(s.maxSessions) + "\n")
	case "sps":
		if len(f) > 1 {
			// atoi; switch_core_session_ctl (SCSC_SPS) sets only > 0
			if n := atoi(f[1]); n > 0 {
				s.sps = n
				s.spsLeft = n
			}
		}
		done("+OK sessions per second: " + strconv.Itoa(s.sps) + "\n")
	case "last_sps":
		done("+OK last sessions per second: " + strconv.Itoa(s.lastSPS) + "\n")
	case "sps_peak_reset":
		s.peakSPS = 0
		done("+OK max sessions per second counter reset\n")
	case "verbose_events":
		if len(f) > 1 {
			s.verbose = switchTrue(f[1])
		} else {
			s.verbose = true
		}
		st := "off"
		if s.verbose {
			st = "on"
		}
		done("+OK verbose_events is " + st + " \n")
	case "loglevel":
		if len(f) > 1 {
			if n, ok := parseLogLevel(f[1]); ok {
				s.loglevel = n
			}
		}
		done("+OK log level: " + logLevels[s.loglevel] + " [" + strconv.Itoa(s.loglevel) + "]\n")
	case "hupall":
		s.hupall("MANAGER_REQUEST", "", "")
		done("+OK\n")
	case "pause", "resume", "sync_clock", "reclaim_mem", "flush_db_handles", "send_sighup", "recover":
		done("+OK\n")
	case "shutdown":
		done("+OK\n")
		s.fireShutdown()
	default:
		done("-ERR INVALID COMMAND\nUSAGE: fsctl [recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]|shutdown [cancel|elegant|asap|now|restart]|sps|sps_peak_reset|sync_clock|sync_clock_when_idle|reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]|default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]|mdns_resolve [enable|disable]]\n")
	}
}

// fireShutdown raises SHUTDOWN and closes the server shortly after, as
// "fsctl shutdown" does.
func (s *Server) fireShutdown() {
	ev := s.newEvent("SHUTDOWN", "switch_core.c", "switch_core_destroy", 3023)
	ev.Add("Event-Info", "System Shutting Down")
	s.fire(ev, nil)
	go s.Close()
}

func apiHupall(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	cause := "MANAGER_REQUEST"
	if len(f) > 0 {
		if _, ok := causeCodes[strings.ToUpper(f[0])]; ok {
			cause = strings.ToUpper(f[0])
		}
	}
	if len(f) >= 3 {
		s.hupall(cause, f[1], f[2])
		done("+OK hangup all channels matching [" + f[1] + "]=[" + f[2] + "] with cause: " + cause + "\n")
		return
	}
	s.hupall(cause, "", "")
	done("+OK hangup all channels with cause " + cause + "\n")
}

func (s *Server) hupall(cause, k, v string) {
	var list []*channel
	for _, ch := range s.orderedChannels() {
		if k != "" {
			if x, _ := ch.getVar(k); x != v {
				continue
			}
		}
		list = append(list, ch)
	}
	for _, ch := range list {
		ch.killPending = cause
	}
	for _, ch := range list {
		s.hangup(ch, cause)
	}
}

func (s *Server) orderedChannels() []*channel {
	out := make([]*channel, 0, len(s.channels))
	for _, c := range s.order {
		if !c.destroyed && s.channels[c.uuid] == c {
			out = append(out, c)
		}
	}
	return out
}

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
	ts := strconv.FormatInt(s.nowMicros()/1e6, 10) + ":" + uuid.NewString() + ":bl_xfer:" + dest + "/" + context + "/" + dialplan
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

var _ = wire.FormatPlain
