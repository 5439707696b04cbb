package fsemu

import (
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// ChannelInfo is a snapshot of one channel, for tests.
type ChannelInfo struct {
	UUID                         string
	Name                         string
	Direction                    string // "inbound" or "outbound"
	State                        string // Channel-State, e.g. "CS_EXECUTE"
	CallState                    string // e.g. "ACTIVE"
	AnswerState                  string // ringing, early, answered, hangup
	Answered                     bool
	Destination                  string
	CallerIDName, CallerIDNumber string
	Application                  string // running application, "" if none
	Created                      time.Time
	// PeerUUID is the uuid of the other end of the call (the far leg of a
	// sofia or loopback call, possibly on another server); BridgedUUID the
	// channel it is bridged to.
	PeerUUID, BridgedUUID string
	// Vars are the channel variables in FreeSWITCH's order.
	Vars []wire.Header
}

// Var returns a variable of the snapshot.
func (ci ChannelInfo) Var(name string) string {
	for _, v := range ci.Vars {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}

func (ch *channel) info() ChannelInfo {
	dir := "inbound"
	if ch.outbound {
		dir = "outbound"
	}
	ci := ChannelInfo{UUID: ch.uuid, Name: ch.name, Direction: dir, State: stateNames[ch.running],
		CallState: callStateNames[ch.callState], AnswerState: ch.answerState(), Answered: ch.answered,
		Destination: ch.prof.dest, CallerIDName: ch.prof.cidName, CallerIDNumber: ch.prof.cidNum,
		Created: time.UnixMicro(ch.s.stampUs(ch.created)), Vars: ch.varList()}
	if n := len(ch.apps); n > 0 {
		ci.Application = ch.apps[n-1].name
	}
	if ch.peer != nil {
		ci.PeerUUID = ch.peer.uuid
	}
	if ch.bridged != nil {
		ci.BridgedUUID = ch.bridged.uuid
	}
	return ci
}

// Channels returns snapshots of all live channels in creation order.
func (s *Server) Channels() []ChannelInfo {
	s.lock()
	defer s.unlock()
	list := s.orderedChannels()
	out := make([]ChannelInfo, len(list))
	for i, ch := range list {
		out[i] = ch.info()
	}
	return out
}

// ChannelCount returns the number of live channels.
func (s *Server) ChannelCount() int {
	s.lock()
	defer s.unlock()
	return len(s.channels)
}

// Channel returns a snapshot of a channel and whether it exists.
func (s *Server) Channel(uuid string) (ChannelInfo, bool) {
	s.lock()
	defer s.unlock()
	ch := s.channels[uuid]
	if ch == nil || ch.destroyed {
		return ChannelInfo{}, false
	}
	return ch.info(), true
}

// Hangup hangs a channel up with a cause, as uuid_kill would; it reports
// whether the channel existed.
func (s *Server) Hangup(uuid, cause string) bool {
	s.lock()
	defer s.unlock()
	ch := s.channels[uuid]
	if ch == nil || ch.gone() {
		return false
	}
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	s.hangup(ch, cause)
	return true
}

// HangupAll hangs up every channel (hupall).
func (s *Server) HangupAll(cause string) {
	s.lock()
	defer s.unlock()
	if cause == "" {
		cause = "MANAGER_REQUEST"
	}
	s.hupall(cause, "", "")
}

// Answer answers a channel, as uuid_answer would.
func (s *Server) Answer(uuid string) bool {
	s.lock()
	defer s.unlock()
	ch := s.channels[uuid]
	if ch == nil || ch.gone() {
		return false
	}
	ch.answerLocal()
	return true
}

// SetVar sets a channel variable ("" unsets it).
func (s *Server) SetVar(uuid, name, value string) bool {
	s.lock()
	defer s.unlock()
	ch := s.channels[uuid]
	if ch == nil || ch.gone() {
		return false
	}
	ch.setVar(name, value)
	return true
}

// CommandCount returns how many times a client command (its first word:
// "api", "bgapi", "event", ...) was received; "" counts all commands and
// "other" the unknown ones.
func (s *Server) CommandCount(word string) int {
	if word == "" {
		return int(s.stats.commands.Load())
	}
	s.lock()
	defer s.unlock()
	return s.commands[word]
}

// ConnCount returns the number of open ESL connections.
func (s *Server) ConnCount() int {
	s.lock()
	defer s.unlock()
	return len(s.conns)
}

// SessionsSinceStartup is the number of channels created so far.
func (s *Server) SessionsSinceStartup() uint64 {
	s.lock()
	defer s.unlock()
	return s.sinceStart
}
