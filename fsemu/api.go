package fsemu

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// apiFunc runs an api command with the lock held. It must call done
// exactly once, now or later (also with the lock held).
type apiFunc func(s *Server, args string, done func(string))

// newAPITable returns the api commands by name. Each Server builds its
// own in Start and only reads it afterwards; it is not a package-level
// table because commands such as show and sched_api reach the table
// themselves (an initialisation cycle).
func newAPITable() map[string]apiFunc {
	return map[string]apiFunc{
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
		// file_exists (mod_commands.c file_exists_function): "true" or
		// "false", on this host's file system, where fsemu writes its
		// recordings.
		"file_exists": func(s *Server, a string, done func(string)) {
			_, err := os.Stat(strings.TrimSpace(a))
			done(strconv.FormatBool(strings.TrimSpace(a) != "" && err == nil))
		},
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
	f, ok := s.api[strings.ToLower(cmd)]
	if !ok {
		done("-ERR " + cmd + " Command not found!\n")
		return
	}
	f(s, arg, done)
}

// API runs an api command directly (as "api <cmd>" would, without a
// connection) and returns its output; blocking commands such as originate
// wait for their result, until ctx ends. The output is FreeSWITCH's, "-ERR
// ..." bodies included; the error reports only a result not had: ctx
// ended first (wrapping ctx.Err()), or the server is closed.
func (s *Server) API(ctx context.Context, cmdline string) (string, error) {
	ch := make(chan string, 1)
	s.lock()
	if s.closed {
		s.unlock()
		return "", fmt.Errorf("fsemu: api %s: server closed", cmdline)
	}
	s.runAPI(cmdline, nil, func(out string) { ch <- out })
	s.unlock()
	select {
	case out := <-ch:
		if out == "" {
			out = "-ERR no reply\n"
		}
		return out, nil
	case <-ctx.Done():
		return "", fmt.Errorf("fsemu: api %s: %w", cmdline, ctx.Err())
	}
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
	b.WriteString(strconv.Itoa(s.lastSPS) + " session(s) per Sec out of max " + strconv.Itoa(s.sps) + ", peak " + strconv.Itoa(s.peakSPS) + ", last 5min " + strconv.Itoa(s.peakSPS5) + " \n")
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
			// atoi; switch_core_session_ctl (SCSC_SPS) sets only > 0,
			// and only the limit (sps_total): what is left of the
			// current second stays, so a change shows in that second's
			// count (spsSecond)
			if n := atoi(f[1]); n > 0 {
				s.sps = n
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

var _ = wire.FormatPlain
