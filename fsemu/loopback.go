package fsemu

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// originateLoopback creates a loopback pair: A (loopback/x-a) is the
// outbound leg, B (loopback/x-b) runs the dialplan on this server.
func (s *Server) originateLoopback(r *originateReq, id, rest string, done func(string)) {
	parts := strings.Split(rest, "/")
	ext := parts[0]
	ctx := "default"
	if len(parts) > 1 && parts[1] != "" {
		ctx = parts[1]
	}
	if !s.hasContext(ctx) {
		done("-ERR NO_ROUTE_DESTINATION\n")
		return
	}
	if !s.allocSession() {
		done("-ERR DESTINATION_OUT_OF_ORDER\n")
		return
	}
	// The A leg starts under a random uuid, sets its codec, then takes the
	// origination_uuid (CHANNEL_UUID).
	tmp := uuid.NewString()
	a := s.newOutboundLeg(r, tmp, "loopback/"+rest+"-a", "loopback", ext)
	a.l16 = true
	a.r = r
	a.done = done
	a.running = csNone
	a.target = csNew
	a.noProfile = true
	a.setCodec()
	a.noProfile = false
	a.prof.dialplan = "xml"
	a.prof.calleeNum = ctx
	a.prof.context = ctx
	a.prof.source = "mod_loopback"
	a.name = "loopback/" + ext + "-a"
	a.prof.chanName = a.name
	a.target = csInit
	a.setVar("direction", "outbound")
	a.setVar("is_outbound", "true")
	a.setVar("session_id", strconv.FormatUint(a.seq, 10))
	a.setVar("read_codec", "L16")
	a.setVar("read_rate", "8000")
	a.setVar("write_codec", "L16")
	a.setVar("write_rate", "8000")
	a.setVar("channel_name", a.name)
	if id != tmp {
		delete(s.channels, tmp)
		a.uuid = id
		s.channels[id] = a
	}
	a.setVar("uuid", id)
	a.setVar("call_uuid", id)
	a.emit(evUUID, []wire.Header{{Name: "Old-Unique-ID", Value: tmp}}, nil)
	a.logNew()
	for _, v := range r.vars {
		a.setVar(v.Name, v.Value)
	}
	a.setVar("originate_early_media", r.earlyVar())
	a.setVar("originate_endpoint", "loopback")
	a.emit(evOutgoing, nil, nil)
	a.running = csInit
	a.emit(evState, nil, nil)

	if !s.allocSession() {
		s.hangup(a, "DESTINATION_OUT_OF_ORDER")
		return
	}
	b := s.newChannel(uuid.NewString())
	b.endpoint = "loopback"
	b.l16 = true
	b.hitDP = true
	b.name = "loopback/" + ext + "-b"
	b.peer = a
	a.peer = b
	b.running = csNone
	b.logNew()
	b.noProfile = true
	b.setCodec()
	b.noProfile = false
	b.prof = profile{dialplan: "xml", cidName: a.prof.cidName, cidNum: a.prof.cidNum,
		origName: a.prof.cidName, origNum: a.prof.cidNum, calleeName: "Outbound Call", calleeNum: ctx,
		ani: a.prof.cidNum, dest: ext, source: "mod_loopback", context: ctx, chanName: b.name}
	b.setVar("direction", "inbound")
	b.setVar("uuid", b.uuid)
	b.setVar("call_uuid", b.uuid)
	b.setVar("session_id", strconv.FormatUint(b.seq, 10))
	b.setVar("channel_name", b.name)
	b.setVar("read_codec", "L16")
	b.setVar("read_rate", "8000")
	b.setVar("write_codec", "L16")
	b.setVar("write_rate", "8000")
	for _, v := range r.vars {
		b.setVar(v.Name, v.Value)
	}
	b.setVar("other_loopback_leg_uuid", a.uuid)
	b.setVar("loopback_leg", "B")
	a.setVar("other_loopback_leg_uuid", b.uuid)
	a.setVar("loopback_leg", "A")
	b.running = csInit
	b.target = csInit
	b.emit(evState, nil, nil)

	a.createOutbound()

	b.target = csRouting
	b.emit(evCreate, nil, nil)
	b.setCallState(ccsRinging)
	b.running = csRouting
	b.emit(evState, nil, nil)
	s.seq++
	b.setRunning(csExecute)
	s.runInbound(b)
	a.timeoutTimer(r.timeout)
}

func (s *Server) hasContext(ctx string) bool {
	switch ctx {
	case "default", "switchio", "public":
		return true
	}
	for _, c := range s.cfg.Contexts {
		if c == ctx {
			return true
		}
	}
	return false
}
