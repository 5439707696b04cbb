package fsemu

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// eventNames lists FreeSWITCH's event types in switch_event_types_t order.
var eventNames = [...]string{
	"CUSTOM", "CLONE", "CHANNEL_CREATE", "CHANNEL_DESTROY", "CHANNEL_STATE", "CHANNEL_CALLSTATE",
	"CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_EXECUTE",
	"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE",
	"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_OUTGOING", "CHANNEL_PARK", "CHANNEL_UNPARK",
	"CHANNEL_APPLICATION", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "API", "LOG", "INBOUND_CHAN",
	"OUTBOUND_CHAN", "STARTUP", "SHUTDOWN", "PUBLISH", "UNPUBLISH", "TALK", "NOTALK", "SESSION_CRASH",
	"MODULE_LOAD", "MODULE_UNLOAD", "DTMF", "MESSAGE", "PRESENCE_IN", "NOTIFY_IN", "PRESENCE_OUT",
	"PRESENCE_PROBE", "MESSAGE_WAITING", "MESSAGE_QUERY", "ROSTER", "CODEC", "BACKGROUND_JOB",
	"DETECTED_SPEECH", "DETECTED_TONE", "PRIVATE_COMMAND", "HEARTBEAT", "TRAP", "ADD_SCHEDULE",
	"DEL_SCHEDULE", "EXE_SCHEDULE", "RE_SCHEDULE", "RELOADXML", "NOTIFY", "PHONE_FEATURE",
	"PHONE_FEATURE_SUBSCRIBE", "SEND_MESSAGE", "RECV_MESSAGE", "REQUEST_PARAMS", "CHANNEL_DATA",
	"GENERAL", "COMMAND", "SESSION_HEARTBEAT", "CLIENT_DISCONNECTED", "SERVER_DISCONNECTED",
	"SEND_INFO", "RECV_INFO", "RECV_RTCP_MESSAGE", "SEND_RTCP_MESSAGE", "CALL_SECURE", "NAT",
	"RECORD_START", "RECORD_STOP", "PLAYBACK_START", "PLAYBACK_STOP", "CALL_UPDATE", "FAILURE",
	"SOCKET_DATA", "MEDIA_BUG_START", "MEDIA_BUG_STOP", "CONFERENCE_DATA_QUERY", "CONFERENCE_DATA",
	"CALL_SETUP_REQ", "CALL_SETUP_RESULT", "CALL_DETAIL", "DEVICE_STATE", "TEXT", "SHUTDOWN_REQUESTED",
	"ALL",
}

const numEventTypes = len(eventNames)

var eventTypeIndex = func() map[string]int {
	m := make(map[string]int, numEventTypes)
	for i, n := range eventNames {
		m[n] = i
	}
	return m
}()

var (
	evCUSTOM = eventTypeIndex["CUSTOM"]
	evALL    = eventTypeIndex["ALL"]
)

// eventTypeByName resolves an event name as switch_name_event does:
// case-insensitive, optional SWITCH_EVENT_ prefix.
func eventTypeByName(n string) (int, bool) {
	u := strings.ToUpper(n)
	u = strings.TrimPrefix(u, "SWITCH_EVENT_")
	t, ok := eventTypeIndex[u]
	return t, ok
}

// newEvent creates an event with FreeSWITCH's standard headers.
func (s *Server) newEvent(name, file, fn string, line int) *wire.Event {
	return s.newEventCap(name, file, fn, line, 16)
}

func (s *Server) newEventCap(name, file, fn string, line int, capHint int) *wire.Event {
	ev := &wire.Event{Headers: make([]wire.Header, 0, capHint)}
	ev.Headers = append(ev.Headers, wire.Header{Name: "Event-Name", Value: name})
	s.appendStd(ev, file, fn, line)
	return ev
}

// appendStd appends the standard headers after Event-Name.
func (s *Server) appendStd(ev *wire.Event, file, fn string, line int) {
	now := s.stampNow() // switch_event_prep: switch_micro_time_now(), on the tick (tick.go)
	s.seq++
	if sec := now.Unix(); sec != s.dateSec || s.dateLocal == "" {
		s.dateSec = sec
		s.dateLocal = now.Format("2006-01-02 15:04:05")
		s.dateGMT = now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	}
	h := ev.Headers
	h = append(h,
		wire.Header{Name: "Core-UUID", Value: s.coreUUID},
		wire.Header{Name: "FreeSWITCH-Hostname", Value: s.cfg.Hostname},
		wire.Header{Name: "FreeSWITCH-Switchname", Value: s.cfg.Hostname},
		wire.Header{Name: "FreeSWITCH-IPv4", Value: s.cfg.IPv4},
		wire.Header{Name: "FreeSWITCH-IPv6", Value: s.cfg.IPv6},
		wire.Header{Name: "Event-Date-Local", Value: s.dateLocal},
		wire.Header{Name: "Event-Date-GMT", Value: s.dateGMT},
		wire.Header{Name: "Event-Date-Timestamp", Value: strconv.FormatInt(now.UnixMicro(), 10)},
		wire.Header{Name: "Event-Calling-File", Value: file},
		wire.Header{Name: "Event-Calling-Function", Value: fn},
		wire.Header{Name: "Event-Calling-Line-Number", Value: s.intern.line(line)},
		wire.Header{Name: "Event-Sequence", Value: strconv.FormatUint(s.seq, 10)},
	)
	ev.Headers = h
}

// wants reports whether any listener could take an event of type t; it
// lets hot paths skip building events nobody reads (Event-Sequence still
// advances, as in FreeSWITCH).
func (s *Server) wants(t int) bool {
	for c := range s.conns {
		if c.events && (c.subs[t] || c.subs[evALL]) {
			return true
		}
	}
	return false
}

// fire delivers ev to every subscribed listener, serialising it once per
// format. ch is the channel the event is about (nil for none).
func (s *Server) fire(ev *wire.Event, ch *channel) {
	name := ev.Headers[0].Value
	if ev.Headers[0].Name != "Event-Name" {
		name = ev.Get("Event-Name")
	}
	t, ok := eventTypeIndex[name]
	if !ok {
		t = evCUSTOM
	}
	var frames [3]*frame
	var kill []*conn
	for c := range s.conns {
		if !c.events || c.dead {
			continue
		}
		if !c.accepts(t, ev) {
			continue
		}
		f := c.format
		if frames[f] == nil {
			// serialise straight into a pooled frame, leaving room for
			// the frame header, then write the header in front (the
			// layout of wire.AppendEventFrame, without moving the payload)
			const room = 64
			hint := s.sizeHint[t][f]
			fr := s.frames.get(room + hint + hint/8 + 256)
			buf := ev.Append(fr.b[:room], f)
			n := len(buf) - room
			if fr.buf == nil || &buf[0] != &fr.buf[:1][0] {
				fr.class = -1 // outgrew the pooled buffer
			}
			var hdr [room]byte
			h := append(hdr[:0], "Content-Length: "...)
			h = strconv.AppendInt(h, int64(n), 10)
			h = append(h, "\nContent-Type: "...)
			h = append(h, f.ContentType()...)
			h = append(h, "\n\n"...)
			start := room - len(h)
			copy(buf[start:], h)
			fr.b = buf[start:]
			if n > hint || n < hint-hint/4 {
				s.sizeHint[t][f] = n
			}
			fr.refs.Store(1) // fire's own reference, dropped below
			frames[f] = fr
		}
		if !c.enqueueEvent(frames[f]) {
			kill = append(kill, c)
		}
	}
	for _, fr := range frames {
		if fr != nil {
			fr.release()
		}
	}
	for _, c := range kill {
		c.dead = true
		c.closeWithNotice(noticeLost)
	}
}

func (c *conn) accepts(t int, ev *wire.Event) bool {
	send := false
	if c.subs[evALL] {
		send = true
	} else if c.subs[t] {
		if t != evCUSTOM {
			send = true
		} else if sub := ev.Get("Event-Subclass"); sub == "" || c.custom[sub] {
			send = true
		}
	}
	if !send {
		return false
	}
	if c.myUUID != "" {
		if ev.Get("Unique-ID") != c.myUUID && ev.Get("Job-Owner-UUID") != c.myUUID {
			return false
		}
	}
	if len(c.filters) > 0 {
		send = false
		for _, f := range c.filters {
			hval, ok := ev.Lookup(f.Name)
			if !ok {
				continue
			}
			comp := f.Value
			pos := true
			i := 0
			for ; i < len(comp); i++ {
				if comp[i] == '+' {
					pos = true
				} else if comp[i] == '-' {
					pos = false
				} else if comp[i] != ' ' {
					break
				}
			}
			comp = comp[i:]
			if send && pos {
				continue
			}
			var match bool
			if strings.HasPrefix(f.Value, "/") {
				re, err := regexp.Compile(strings.Trim(f.Value, "/"))
				match = err == nil && re.MatchString(hval)
			} else {
				match = strings.EqualFold(hval, comp)
			}
			if match {
				if pos {
					send = true
				} else {
					send = false
					break
				}
			}
		}
	}
	return send
}

// fireAPI raises the API event switch_api_execute fires for each command.
func (s *Server) fireAPI(cmd, arg string) {
	if !s.wants(eventTypeIndex["API"]) {
		s.seq++
		return
	}
	ev := s.newEvent("API", "switch_loadable_module.c", "switch_api_execute", 2954)
	ev.Add("API-Command", cmd)
	ev.Add("API-Command-Argument", arg)
	s.fire(ev, nil)
}

func (s *Server) fireHeartbeat() {
	ev := s.newEvent("HEARTBEAT", "switch_core.c", "send_heartbeat", 95)
	up := s.clock.Now().Sub(s.started)
	ev.Add("Event-Info", "System Ready")
	ev.Add("Up-Time", upTime(up))
	ev.Add("FreeSWITCH-Version", fsVersion)
	ev.Add("Uptime-msec", strconv.FormatInt(up.Milliseconds(), 10))
	ev.Add("Session-Count", strconv.Itoa(len(s.channels)))
	ev.Add("Max-Sessions", strconv.Itoa(s.maxSessions))
	ev.Add("Session-Per-Sec", strconv.Itoa(s.sps))
	ev.Add("Session-Per-Sec-Last", strconv.Itoa(s.lastSPS))
	ev.Add("Session-Per-Sec-Max", strconv.Itoa(s.peakSPS))
	ev.Add("Session-Per-Sec-FiveMin", strconv.Itoa(s.peakSPS5))
	ev.Add("Session-Since-Startup", strconv.FormatUint(s.sinceStart, 10))
	ev.Add("Session-Peak-Max", strconv.Itoa(s.peak))
	ev.Add("Session-Peak-FiveMin", strconv.Itoa(s.peak))
	ev.Add("Idle-CPU", "98.000000")
	s.fire(ev, nil)
	rs := s.newEvent("RE_SCHEDULE", "switch_scheduler.c", "switch_scheduler_execute", 73)
	rs.Add("Task-ID", "1")
	rs.Add("Task-Desc", "heartbeat")
	rs.Add("Task-Group", "core")
	rs.Add("Task-Runtime", strconv.FormatInt(s.clock.Now().Add(s.cfg.HeartbeatInterval).Unix(), 10))
	s.fire(rs, nil)
}

const fsVersion = "1.10.12-release~64bit"

func upTime(d time.Duration) string {
	us := d.Microseconds()
	sec := us / 1e6
	return strconv.FormatInt(sec/(365*86400), 10) + " years, " +
		strconv.FormatInt(sec/86400%365, 10) + " days, " +
		strconv.FormatInt(sec/3600%24, 10) + " hours, " +
		strconv.FormatInt(sec/60%60, 10) + " minutes, " +
		strconv.FormatInt(sec%60, 10) + " seconds, " +
		strconv.FormatInt(us/1000%1000, 10) + " milliseconds, " +
		strconv.FormatInt(us%1000, 10) + " microseconds"
}
