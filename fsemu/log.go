package fsemu

import (
	"strconv"
)

var levelTags = [...]string{"CONSOLE", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"}

// logLine sends a log/data frame to every connection logging at level or
// above, as mod_event_socket's logger does. textChannel is FreeSWITCH's
// SWITCH_CHANNEL_ID (0 log, 1 log-clean, 3 session). Called with the lock.
func (s *Server) logLine(level, textChannel int, file, fn string, line int, userData, msg string) {
	any := false
	for c := range s.conns {
		if c.logLevel >= level && !c.dead {
			any = true
			break
		}
	}
	if !any {
		return
	}
	now := s.stampNow() // switch_log: the node's timestamp is switch_micro_time_now()
	body := now.Format("2006-01-02 15:04:05.000000") + " 98.00% [" + levelTags[level] + "] " +
		file + ":" + strconv.Itoa(line) + " " + msg
	b := make([]byte, 0, 200+len(body))
	b = append(b, "Content-Type: log/data\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\nLog-Level: "...)
	b = strconv.AppendInt(b, int64(level), 10)
	b = append(b, "\nText-Channel: "...)
	b = strconv.AppendInt(b, int64(textChannel), 10)
	b = append(b, "\nLog-File: "...)
	b = append(b, file...)
	b = append(b, "\nLog-Func: "...)
	b = append(b, fn...)
	b = append(b, "\nLog-Line: "...)
	b = strconv.AppendInt(b, int64(line), 10)
	b = append(b, "\nUser-Data: "...)
	b = append(b, userData...)
	b = append(b, "\n\n"...)
	b = append(b, body...)
	fr := s.frames.get(len(b))
	fr.b = append(fr.b, b...)
	fr.refs.Store(1)
	for c := range s.conns {
		if c.logLevel >= level && !c.dead {
			c.enqueueEvent(fr)
		}
	}
	fr.release()
}

func (ch *channel) logNew() {
	ch.s.logLine(5, 3, "switch_channel.c", "switch_channel_set_name", 1142, ch.uuid,
		"New Channel "+ch.name+" ["+ch.uuid+"]\n")
}

func (ch *channel) logHangup() {
	ch.s.logLine(5, 3, "switch_channel.c", "switch_channel_perform_hangup", 3394, ch.uuid,
		"Hangup "+ch.name+" ["+stateNames[ch.running]+"] ["+ch.cause+"]\n")
}
