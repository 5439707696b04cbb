package fsemu

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

const originateUsage = "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"

// splitArgs splits an api argument string on spaces as
// switch_separate_string does: single quotes group and are removed,
// backslash escapes the next byte; braces and brackets keep their content
// together so dial-string variables survive.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	inq := false
	has := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && depth == 0:
			i++
			cur.WriteByte(s[i])
			has = true
		case c == '\'' && depth == 0:
			inq = !inq
			has = true
		case (c == '{' || c == '[' || c == '<') && !inq:
			depth++
			cur.WriteByte(c)
			has = true
		case (c == '}' || c == ']' || c == '>') && !inq && depth > 0:
			depth--
			cur.WriteByte(c)
		case c == ' ' && !inq && depth == 0:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteByte(c)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

// parseVarBlock parses "a=b,c='x y',d=e\,f" (the inside of {} or []).
// A block opening with "^^X" separates its variables with X instead of a
// comma, as FreeSWITCH's switch_event_create_brackets does.
func parseVarBlock(s string) []wire.Header {
	sep := byte(',')
	if len(s) >= 3 && s[0] == '^' && s[1] == '^' {
		sep, s = s[2], s[3:]
	}
	var out []wire.Header
	var cur strings.Builder
	inq := false
	flush := func() {
		item := cur.String()
		cur.Reset()
		if k, v, ok := strings.Cut(item, "="); ok {
			k = strings.TrimSpace(k)
			if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
				v = v[1 : len(v)-1]
			}
			if k != "" {
				out = append(out, wire.Header{Name: k, Value: v})
			}
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '\'':
			inq = !inq
			cur.WriteByte(c)
		case c == sep && !inq:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// parseDialString splits leading {..}, <..> and [..] variable blocks from
// the first leg of a dial string.
func parseDialString(ds string) (vars []wire.Header, leg string) {
	for {
		ds = strings.TrimLeft(ds, " ")
		if len(ds) == 0 {
			return
		}
		open := ds[0]
		var close byte
		switch open {
		case '{':
			close = '}'
		case '<':
			close = '>'
		case '[':
			close = ']'
		default:
			// first leg only: legs are separated by , | or :_:
			leg = ds
			if i := strings.Index(leg, ":_:"); i >= 0 {
				leg = leg[:i]
			}
			if i := strings.IndexAny(leg, ",|"); i >= 0 {
				leg = leg[:i]
			}
			return
		}
		end := matchClose(ds, open, close)
		if end < 0 {
			leg = ds
			return
		}
		vars = append(vars, parseVarBlock(ds[1:end])...)
		ds = ds[end+1:]
	}
}

func matchClose(s string, open, close byte) int {
	depth := 0
	inq := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case c == '\'':
			inq = !inq
		case c == open && !inq:
			depth++
		case c == close && !inq:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// originateReq is a parsed originate.
type originateReq struct {
	vars     []wire.Header
	leg      string
	app, arg string // &app(arg)
	exten    string
	dialplan string
	context  string
	cidName  string
	cidNum   string
	timeout  time.Duration
}

func parseOriginate(args string) (*originateReq, bool) {
	a := splitArgs(args)
	if len(a) < 2 {
		return nil, false
	}
	r := &originateReq{dialplan: "XML", context: "default", timeout: 60 * time.Second}
	r.vars, r.leg = parseDialString(a[0])
	dest := a[1]
	if strings.HasPrefix(dest, "&") {
		dest = dest[1:]
		if i := strings.IndexByte(dest, '('); i >= 0 {
			r.app = dest[:i]
			r.arg = strings.TrimSuffix(dest[i+1:], ")")
		} else if i := strings.IndexByte(dest, ' '); i >= 0 {
			r.app, r.arg = dest[:i], dest[i+1:]
		} else {
			r.app = dest
		}
	} else {
		r.exten = dest
	}
	opt := func(i int, p *string) {
		if len(a) > i && a[i] != "undef" && a[i] != "" {
			*p = a[i]
		}
	}
	opt(2, &r.dialplan)
	opt(3, &r.context)
	opt(4, &r.cidName)
	opt(5, &r.cidNum)
	if len(a) > 6 {
		if n, err := strconv.Atoi(a[6]); err == nil && n > 0 {
			r.timeout = time.Duration(n) * time.Second
		}
	}
	for _, v := range r.vars {
		switch v.Name {
		case "originate_timeout", "leg_timeout":
			if n, err := strconv.Atoi(v.Value); err == nil && n > 0 {
				r.timeout = time.Duration(n) * time.Second
			}
		}
	}
	return r, true
}

func varOf(vs []wire.Header, name string) string {
	for _, v := range vs {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}

// allocSession applies max_sessions and sps; false means refused.
func (s *Server) allocSession() bool {
	if s.closed || len(s.channels) >= s.maxSessions || s.spsLeft <= 0 {
		return false
	}
	if s.capacity != nil && !s.capacity.admitPorts(len(s.channels)) {
		return false
	}
	s.spsLeft--
	s.spsCount++
	return true
}

func (s *Server) newChannel(id string) *channel {
	s.sessionID++
	s.sinceStart++
	ch := &channel{s: s, uuid: id, created: s.nowMicros(), running: csNew, target: csNew, seq: s.sessionID}
	ch.vars = make([]wire.Header, 0, 96)
	s.channels[id] = ch
	s.order = append(s.order, ch)
	if n := len(s.channels); n > s.peak {
		s.peak = n
	}
	return ch
}

func (s *Server) randPort() string {
	return strconv.Itoa(16384 + 2*s.rng.Intn(8192))
}

func (s *Server) randTag() string {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 13)
	for i := range b {
		b[i] = alpha[s.rng.Intn(len(alpha))]
	}
	return string(b)
}

// originate starts an outbound call. done receives "+OK <uuid>\n" once the
// far end answers, or "-ERR <CAUSE>\n".
func (s *Server) originate(args string, done func(string)) {
	r, ok := parseOriginate(args)
	if !ok {
		done(originateUsage)
		return
	}
	if len(r.vars) > 0 {
		s.logLine(7, 3, "switch_ivr_originate.c", "switch_ivr_originate", 2301, "", "Parsing global variables\n")
	}
	leg := r.leg
	var ep, rest string
	if i := strings.IndexByte(leg, '/'); i >= 0 {
		ep, rest = leg[:i], leg[i+1:]
	} else {
		done("-ERR CHAN_NOT_IMPLEMENTED\n")
		return
	}
	id := varOf(r.vars, "origination_uuid")
	if id == "" {
		id = uuid.NewString()
	} else if s.channels[id] != nil {
		done("-ERR DESTINATION_OUT_OF_ORDER\n")
		return
	}
	switch ep {
	case "sofia":
		s.originateSofia(r, id, rest, done)
	case "loopback":
		s.originateLoopback(r, id, rest, done)
	case "error":
		c := strings.ToUpper(rest)
		if _, ok := causeCodes[c]; !ok {
			c = "NORMAL_CLEARING"
		}
		done("-ERR " + c + "\n")
	case "null":
		done("-ERR CHAN_NOT_IMPLEMENTED\n")
	default:
		done("-ERR CHAN_NOT_IMPLEMENTED\n")
	}
}

type sipTarget struct {
	profile, user, hostport, fsPath string
	gateway                         string
}

func (s *Server) parseSofia(rest string) (sipTarget, string) {
	var t sipTarget
	prof, tail, ok := strings.Cut(rest, "/")
	if !ok {
		return t, "INVALID_PROFILE"
	}
	if prof == "gateway" {
		gw, user, _ := strings.Cut(tail, "/")
		addr, ok := s.cfg.Gateways[gw]
		if !ok {
			return t, "INVALID_GATEWAY"
		}
		t.profile = "external"
		t.gateway = gw
		t.user = user
		t.hostport = addr
		return t, ""
	}
	if prof != "external" && prof != "internal" {
		return t, "INVALID_PROFILE"
	}
	t.profile = prof
	if i := strings.Index(tail, ";fs_path="); i >= 0 {
		p := tail[i+len(";fs_path="):]
		tail = tail[:i]
		p = strings.Trim(p, "<>")
		p = strings.TrimPrefix(p, "sip:")
		if j := strings.IndexByte(p, ';'); j >= 0 {
			p = p[:j]
		}
		if j := strings.IndexByte(p, '@'); j >= 0 {
			p = p[j+1:]
		}
		t.fsPath = p
	}
	if j := strings.IndexByte(tail, ';'); j >= 0 {
		tail = tail[:j]
	}
	tail = strings.TrimPrefix(tail, "sip:")
	user, host, ok := strings.Cut(tail, "@")
	if !ok {
		// sofia/profile/user without host: a registered user lookup
		return t, "USER_NOT_REGISTERED"
	}
	t.user = user
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "5060")
	}
	t.hostport = host
	return t, ""
}

func (s *Server) profileAddr(name string) string {
	if name == "internal" {
		return s.intAddr
	}
	return s.sipAddr
}

func hostOf(hp string) string {
	h, _, err := net.SplitHostPort(hp)
	if err != nil {
		return hp
	}
	return h
}

func portOf(hp string) string {
	_, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "5060"
	}
	return p
}

// newOutboundLeg creates the A leg and raises its first events.
func (s *Server) newOutboundLeg(r *originateReq, id, name, endpoint, dest string) *channel {
	ch := s.newChannel(id)
	ch.outbound = true
	ch.endpoint = endpoint
	ch.name = name
	ch.running = csNone
	ch.target = csInit
	cidName := varOf(r.vars, "origination_caller_id_name")
	if cidName == "" {
		cidName = r.cidName
	}
	cidNum := varOf(r.vars, "origination_caller_id_number")
	if cidNum == "" {
		cidNum = r.cidNum
	}
	if cidNum == "" {
		cidNum = "0000000000"
	}
	ch.prof = profile{cidName: cidName, cidNum: cidNum, origName: cidName, origNum: cidNum,
		calleeName: "Outbound Call", calleeNum: dest, ani: cidNum, dest: dest,
		source: "src/switch_ivr_originate.c", context: r.context, chanName: name}
	return ch
}

func (s *Server) originateSofia(r *originateReq, id, rest string, done func(string)) {
	t, cause := s.parseSofia(rest)
	if cause != "" {
		done("-ERR " + cause + "\n")
		return
	}
	if !s.allocSession() {
		s.failedOut++
		done("-ERR DESTINATION_OUT_OF_ORDER\n")
		return
	}
	s.callsOut++
	name := "sofia/" + t.profile + "/" + t.user + "@" + t.hostport
	if t.gateway != "" {
		name = "sofia/gateway/" + t.gateway + "/" + t.user
	}
	a := s.newOutboundLeg(r, id, name, "sofia", t.user)
	a.r = r
	a.done = done
	local := s.profileAddr(t.profile)
	lhost := hostOf(local)
	port := s.randPort()
	a.setVar("direction", "outbound")
	a.setVar("is_outbound", "true")
	a.setVar("uuid", id)
	a.setVar("call_uuid", id)
	a.setVar("session_id", strconv.FormatUint(a.seq, 10))
	a.setVar("sip_local_network_addr", lhost)
	a.setVar("sip_profile_name", t.profile)
	a.setVar("video_media_flow", "disabled")
	a.setVar("text_media_flow", "disabled")
	a.setVar("channel_name", name)
	a.setVar("sip_destination_url", "sip:"+t.user+"@"+t.hostport)
	for _, v := range r.vars {
		a.setVar(v.Name, v.Value)
	}
	a.setVar("originate_early_media", "true")
	a.setVar("originate_endpoint", "sofia")
	a.setVar("rtp_use_codec_string", "PCMU,PCMA")
	a.setVar("local_media_ip", lhost)
	a.setVar("local_media_port", port)
	a.setVar("advertised_media_ip", lhost)
	a.setVar("audio_media_flow", "sendrecv")
	a.setVar("rtp_local_sdp_str", sdp(lhost, port, true))
	a.setVar("sip_outgoing_contact_uri", "<sip:mod_sofia@"+local+">")
	a.setVar("sip_req_uri", t.user+"@"+t.hostport)
	a.setVar("sip_to_host", t.hostport)
	a.setVar("sip_from_host", lhost)
	a.setVar("sofia_profile_name", t.profile)
	a.setVar("recovery_profile_name", t.profile)
	a.setVar("sofia_profile_url", "sip:mod_sofia@"+local)

	a.startOutbound()

	// Send the INVITE.
	inv := &invite{from: a, user: t.user, to: t.hostport, fromAddr: local, callID: uuid.NewString(),
		fromTag: s.randTag(), port: port}
	s.net.send(s, t.hostport, t.fsPath, func(dst *Server) {
		if dst == nil {
			a.farFailed("NORMAL_TEMPORARY_FAILURE")
			return
		}
		dst.receiveInvite(inv)
	})
	a.timeoutTimer(r.timeout)
}

// startOutbound raises the A leg's events up to CS_CONSUME_MEDIA.
func (a *channel) startOutbound() {
	a.logNew()
	a.emit(evOutgoing, nil, nil)
	a.running = csInit
	a.target = csInit
	a.emit(evState, nil, nil)
	a.createOutbound()
}

// createOutbound raises an outbound leg's CHANNEL_CREATE and
// CHANNEL_ORIGINATE and takes it from CS_INIT to CS_CONSUME_MEDIA.
func (a *channel) createOutbound() {
	a.target = csRouting
	a.emit(evCreate, nil, nil)
	a.emit(evOriginate, nil, nil)
	a.running = csRouting
	a.emit(evState, nil, nil)
	a.target = csConsumeMedia
	a.running = csConsumeMedia
	a.emit(evState, nil, nil)
}

func (a *channel) timeoutTimer(d time.Duration) {
	a.after(d, func() {
		if a.answered || a.gone() || a.done == nil {
			return
		}
		a.s.hangup(a, "NO_ANSWER")
	})
}

// farFailed ends an unanswered A leg because the far end refused.
func (a *channel) farFailed(cause string) {
	if a.gone() {
		return
	}
	if a.endpoint == "sofia" {
		if a.peer == nil {
			// nobody answered the INVITE at all
			a.setVar("sip_call_id", uuid.NewString())
			a.moveVar("sip_local_network_addr", a.varOr("sip_local_network_addr", ""))
			a.setVar("sip_reply_port", "0")
			a.setVar("sip_network_port", "0")
		}
		st := sipStatus(cause)
		a.setVar("sip_hangup_disposition", "recv_refuse")
		a.setVar("sip_invite_failure_status", st)
		a.setVar("sip_invite_failure_phrase", sipPhrase(st))
		a.setVar("sip_term_status", st)
		a.setVar("proto_specific_hangup_cause", "sip:"+st)
		a.setVar("sip_term_cause", strconv.Itoa(causeCodes[cause]))
	}
	a.peer = nil
	a.remoteHangup = true
	a.s.hangup(a, cause)
}

func sipFrom(display, user, host string) string {
	if display == "" {
		return "<sip:" + user + "@" + host + ">"
	}
	return "\"" + display + "\" <sip:" + user + "@" + host + ">"
}

func sdp(host, port string, sendrecv bool) string {
	s := "v=0\r\no=FreeSWITCH 1795616827 1795616828 IN IP4 " + host + "\r\ns=FreeSWITCH\r\nc=IN IP4 " + host +
		"\r\nt=0 0\r\nm=audio " + port + " RTP/AVP 0 8 101 13\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=rtpmap:13 CN/8000\r\na=ptime:20\r\n"
	if sendrecv {
		s += "a=sendrecv\r\n"
	}
	return s
}

// farAnswered is called when the far end answers: the A leg answers and
// the originate completes, then the A leg runs its application.
func (a *channel) farAnswered() {
	if a.gone() || a.answered {
		return
	}
	a.markAnswered()
	a.setVar("endpoint_disposition", "ANSWER")
	a.flipCID()
	a.completeOriginate()
}

func (a *channel) completeOriginate() {
	done := a.done
	a.done = nil
	if done != nil {
		done("+OK " + a.uuid + "\n")
	}
	r := a.r
	a.r = nil
	if r == nil || a.gone() {
		return
	}
	if ex := a.varOr("execute_on_answer", ""); ex != "" {
		app, arg, _ := strings.Cut(ex, " ")
		a.queue = append(a.queue, queuedApp{name: app, arg: arg, loops: 1})
	}
	a.setRunning(csExecute)
	if r.app != "" {
		a.queue = append(a.queue, queuedApp{name: r.app, arg: r.arg, loops: 1})
	} else {
		a.prof.dest = r.exten
		a.hitDP = false
		a.queue = append(a.queue, a.s.dialplanApps(a, r.exten)...)
	}
	a.runNext()
}

func (a *channel) flipCID() {
	p := &a.prof
	if p.cidName != "" {
		a.setVar("pre_transfer_caller_id_name", p.cidName)
	}
	a.setVar("pre_transfer_caller_id_number", p.cidNum)
	a.setVar("channel_cid_flipped", "yes")
	newName, newNum := p.calleeName, p.calleeNum
	if a.endpoint == "sofia" {
		newName, newNum = p.dest, p.dest
	}
	p.calleeName, p.calleeNum = p.cidName, p.cidNum
	p.cidName, p.cidNum = newName, newNum
	a.moveVar("call_uuid", a.varOr("call_uuid", a.uuid))
	a.emit(evCallUpdate, []wire.Header{{Name: "Direction", Value: "RECV"}}, nil)
}

// addAnswerVars adds what sofia learns from the 200 OK.
func (a *channel) addAnswerVars() {
	b := a.peer
	rhost, rport := hostOf(a.varOr("sip_req_uri", "")), "5080"
	if b != nil {
		rport = portOf(b.s.sipAddr)
		rhost = hostOf(b.s.sipAddr)
	}
	to := a.varOr("sip_to_host", "")
	user := a.prof.dest
	tag := a.s.randTag()
	fromTag, callID, rport2 := "", "", "16384"
	if b != nil {
		fromTag = b.varOr("sip_from_tag", "")
		callID = b.varOr("sip_call_id", "")
		rport2 = b.varOr("local_media_port", b.s.randPort())
	}
	for _, n := range []string{"sip_to_host", "sip_from_host", "rtp_use_codec_string", "local_media_ip",
		"local_media_port", "advertised_media_ip", "call_uuid", "sip_local_network_addr"} {
		_ = n
	}
	lport := a.varOr("local_media_port", "")
	lip := a.varOr("local_media_ip", "127.0.0.1")
	a.delVar("rtp_use_codec_string")
	a.delVar("local_media_ip")
	a.delVar("local_media_port")
	a.delVar("advertised_media_ip")
	a.delVar("sip_to_host")
	a.delVar("sip_from_host")
	a.moveVar("sip_local_network_addr", lip)
	add := a.setVar
	add("sip_reply_host", rhost)
	add("sip_reply_port", rport)
	add("sip_network_ip", rhost)
	add("sip_network_port", rport)
	add("sip_user_agent", "FreeSWITCH-mod_sofia/"+fsVersion)
	add("sip_allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY")
	add("sip_recover_contact", "<sip:"+user+"@"+to+";transport=udp>")
	via := "SIP/2.0/UDP " + to + ";rport=" + portOf(to) + ";branch=z9hG4bK" + a.s.randTag()
	add("sip_full_via", via)
	add("sip_recover_via", via)
	add("sip_from_display", a.prof.cidName)
	add("sip_full_from", sipFrom(a.prof.cidName, a.prof.cidNum, lip)+";tag="+fromTag)
	add("sip_full_to", "<sip:"+user+"@"+to+">;tag="+tag)
	add("sip_from_user", a.prof.cidNum)
	add("sip_from_uri", a.prof.cidNum+"@"+lip)
	add("sip_from_host", lip)
	add("sip_to_user", user)
	add("sip_to_port", portOf(to))
	add("sip_to_uri", user+"@"+to)
	add("sip_to_host", hostOf(to))
	add("sip_contact_params", "transport=udp")
	add("sip_contact_user", user)
	add("sip_contact_port", portOf(to))
	add("sip_contact_uri", user+"@"+to)
	add("sip_contact_host", hostOf(to))
	add("sip_to_tag", tag)
	add("sip_from_tag", fromTag)
	add("sip_cseq", strconv.Itoa(100000000+a.s.rng.Intn(99999999)))
	add("sip_call_id", callID)
	add("switch_r_sdp", sdp(rhost, rport2, false))
	add("ep_codec_string", "CORE_PCM_MODULE.PCMU@8000h@20i@64000b")
	add("rtp_use_codec_string", "PCMU,PCMA")
	add("remote_video_media_flow", "inactive")
	add("remote_text_media_flow", "inactive")
	add("remote_audio_media_flow", "sendrecv")
	addCodecVars(a)
	add("local_media_ip", lip)
	add("local_media_port", lport)
	add("advertised_media_ip", lip)
	add("rtp_use_timer_name", "soft")
	add("rtp_use_pt", "0")
	add("rtp_use_ssrc", strconv.FormatUint(uint64(a.s.rng.Uint32()), 10))
	add("rtp_2833_send_payload", "101")
	add("rtp_2833_recv_payload", "101")
	add("remote_media_ip", rhost)
	add("remote_media_port", rport2)
	a.prof.networkAddr = rhost
}

func addCodecVars(c *channel) {
	add := c.setVar
	add("rtp_audio_recv_pt", "0")
	add("rtp_use_codec_name", "PCMU")
	add("rtp_use_codec_rate", "8000")
	add("rtp_use_codec_ptime", "20")
	add("rtp_use_codec_channels", "1")
	add("rtp_last_audio_codec_string", "PCMU@8000h@20i@1c")
	add("read_codec", "PCMU")
	add("original_read_codec", "PCMU")
	add("read_rate", "8000")
	add("original_read_rate", "8000")
	add("write_codec", "PCMU")
	add("write_rate", "8000")
	add("dtmf_type", "rfc2833")
}

// addInboundAnswerVars adds what sofia sets when an inbound leg answers.
func (b *channel) addInboundAnswerVars() {
	lip := hostOf(b.s.sipAddr)
	port := b.s.randPort()
	b.setVar("rtp_local_sdp_str", sdp(lip, port, true))
	b.setVar("local_media_ip", lip)
	b.setVar("local_media_port", port)
	b.setVar("advertised_media_ip", lip)
	b.setVar("rtp_use_timer_name", "soft")
	b.setVar("rtp_use_pt", "0")
	b.setVar("rtp_use_ssrc", strconv.FormatUint(uint64(b.s.rng.Uint32()), 10))
	b.setVar("rtp_2833_send_payload", "101")
	b.setVar("rtp_2833_recv_payload", "101")
	b.moveVar("remote_media_ip", b.varOr("remote_media_ip", lip))
	b.moveVar("remote_media_port", b.varOr("remote_media_port", port))
}

// invite is an INVITE in flight on the emulated SIP network.
type invite struct {
	from     *channel
	user, to string
	fromAddr string
	callID   string
	fromTag  string
	port     string
}

// receiveInvite creates the inbound leg on this server and runs its
// dialplan (Config.Inbound).
func (s *Server) receiveInvite(inv *invite) {
	a := inv.from
	if a.gone() {
		return
	}
	if !s.allocSession() {
		s.failedIn++
		s.net.reply(s, a.s, func() { a.farFailed("NORMAL_TEMPORARY_FAILURE") })
		return
	}
	s.callsIn++
	id := uuid.NewString()
	b := s.newChannel(id)
	b.endpoint = "sofia"
	b.hitDP = true
	b.peer = a
	a.peer = b
	fromHost := hostOf(inv.fromAddr)
	display, cidNum := a.prof.cidName, a.prof.cidNum
	cidName := display
	if cidName == "" {
		cidName = cidNum
	}
	b.name = "sofia/" + s.profileFor(inv.to) + "/" + cidNum + "@" + fromHost
	ctx := s.cfg.Context
	if ctx == "" {
		ctx = "switchio"
		if s.profileFor(inv.to) == "internal" {
			ctx = "default"
		}
	}
	b.prof = profile{username: cidNum, dialplan: "XML", cidName: cidName, cidNum: cidNum, origName: cidName,
		origNum: cidNum, networkAddr: fromHost, ani: cidNum, dest: inv.user, source: "mod_sofia",
		context: ctx, chanName: b.name}
	to := inv.to
	prof := s.profileFor(to)
	local := s.profileAddr(prof)
	v := b.setVar
	v("direction", "inbound")
	v("uuid", id)
	v("call_uuid", id)
	v("session_id", strconv.FormatUint(b.seq, 10))
	v("sip_from_user", cidNum)
	v("sip_from_uri", cidNum+"@"+fromHost)
	v("sip_from_host", fromHost)
	v("video_media_flow", "disabled")
	v("text_media_flow", "disabled")
	v("channel_name", b.name)
	v("sip_call_id", inv.callID)
	v("sip_local_network_addr", hostOf(local))
	v("sip_network_ip", fromHost)
	v("sip_network_port", portOf(inv.fromAddr))
	v("sip_invite_stamp", u64(b.created))
	v("sip_received_ip", fromHost)
	v("sip_received_port", portOf(inv.fromAddr))
	v("sip_via_protocol", "udp")
	v("sip_from_user_stripped", cidNum)
	v("sip_from_tag", inv.fromTag)
	v("sofia_profile_name", prof)
	v("sofia_profile_url", "sip:mod_sofia@"+local)
	v("recovery_profile_name", prof)
	v("sip_Remote-Party-ID", sipFrom(display, cidNum, fromHost)+";party=calling;screen=yes;privacy=off")
	v("sip_cid_type", "rpid")
	v("sip_full_via", "SIP/2.0/UDP "+inv.fromAddr+";rport="+portOf(inv.fromAddr)+";branch=z9hG4bK"+s.randTag())
	v("sip_from_display", display)
	v("sip_full_from", sipFrom(display, cidNum, fromHost)+";tag="+inv.fromTag)
	v("sip_full_to", "<sip:"+inv.user+"@"+to+">")
	v("sip_allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY")
	v("sip_req_user", inv.user)
	v("sip_req_port", portOf(to))
	v("sip_req_uri", inv.user+"@"+to)
	v("sip_req_host", hostOf(to))
	v("sip_to_user", inv.user)
	v("sip_to_port", portOf(to))
	v("sip_to_uri", inv.user+"@"+to)
	v("sip_to_host", hostOf(to))
	v("sip_contact_user", "mod_sofia")
	v("sip_contact_port", portOf(inv.fromAddr))
	v("sip_contact_uri", "mod_sofia@"+inv.fromAddr)
	v("sip_contact_host", fromHost)
	v("sip_user_agent", "FreeSWITCH-mod_sofia/"+fsVersion)
	v("sip_via_host", fromHost)
	v("sip_via_port", portOf(inv.fromAddr))
	v("sip_via_rport", portOf(inv.fromAddr))
	v("max_forwards", "70")
	for _, h := range a.varList() {
		if strings.HasPrefix(h.Name, "sip_h_") {
			v(h.Name, h.Value)
		}
	}
	v("switch_r_sdp", sdp(fromHost, inv.port, false))
	v("ep_codec_string", "CORE_PCM_MODULE.PCMU@8000h@20i@64000b,CORE_PCM_MODULE.PCMA@8000h@20i@64000b")
	v("rtp_use_codec_string", "PCMU,PCMA")
	v("remote_video_media_flow", "inactive")
	v("remote_text_media_flow", "inactive")
	v("remote_audio_media_flow", "sendrecv")
	v("audio_media_flow", "sendrecv")
	v("remote_media_ip", fromHost)
	v("remote_media_port", inv.port)
	addCodecVars(b)
	v("endpoint_disposition", "RECEIVED")

	b.logNew()
	b.noProfile = true
	b.emit(evState, nil, nil) // CS_NEW
	b.noProfile = false
	b.setCodec()
	b.running = csInit
	b.target = csInit
	b.emit(evState, nil, nil)
	b.target = csRouting
	b.emit(evCreate, nil, nil)
	b.setCallState(ccsRinging)
	b.running = csRouting
	b.emit(evState, nil, nil)
	s.seq++ // the dialplan lookup event FreeSWITCH raises here
	b.setRunning(csExecute)
	s.runInbound(b)
}

func (s *Server) profileFor(addr string) string {
	if addr == s.intAddr && addr != s.sipAddr {
		return "internal"
	}
	return "external"
}

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
	a.setVar("originate_early_media", "true")
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
