package fsemu

import (
	"net"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Sofia (SIP) originate: the A leg, its INVITE and what it learns from
// the far end's answer.

// sipTarget is where a sofia dial string sends its INVITE.
type sipTarget struct {
	profile, user, hostport, fsPath string
	gateway                         string
}

// parseSofia parses "profile/user@host[:port][;fs_path=<sip:proxy>]" or
// "gateway/name/user"; a non-empty string is the failure cause.
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
	a.setVar("originate_early_media", r.earlyVar())
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

// addAnswerVars adds what sofia learns from the 200 OK: the reply's SIP
// headers, its SDP and the media negotiated.
func (a *channel) addAnswerVars() {
	a.addReplyVars(true)
	a.addMediaVars()
}

// replyPeer returns the far end's address and SIP dialog identifiers.
func (a *channel) replyPeer() (rhost, rport, fromTag, callID, rmport string) {
	rhost, rport, rmport = hostOf(a.varOr("sip_req_uri", "")), "5080", "16384"
	if b := a.peer; b != nil {
		rport = portOf(b.s.sipAddr)
		rhost = hostOf(b.s.sipAddr)
		fromTag = b.varOr("sip_from_tag", "")
		callID = b.varOr("sip_call_id", "")
		rmport = b.varOr("local_media_port", b.s.randPort())
	}
	return rhost, rport, fromTag, callID, rmport
}

// addReplyVars adds what sofia learns from the far end's first reply
// with a to-tag (180, 183 or 200): its SIP headers and, with sdp, its
// SDP. A 180 without SDP adds the headers alone (capture 20); a later
// reply keeps the dialog's to-tag.
func (a *channel) addReplyVars(withSDP bool) {
	rhost, rport, fromTag, callID, rmport := a.replyPeer()
	_, to, _ := strings.Cut(a.varOr("sip_req_uri", ""), "@")
	user := a.prof.dest
	tag := a.varOr("sip_to_tag", "")
	if tag == "" {
		tag = a.s.randTag()
	}
	lip := a.varOr("local_media_ip", "127.0.0.1")
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
	via := a.varOr("sip_full_via", "")
	if via == "" {
		via = "SIP/2.0/UDP " + to + ";rport=" + portOf(to) + ";branch=z9hG4bK" + a.s.randTag()
	}
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
	if withSDP {
		add("switch_r_sdp", sdp(rhost, rmport, false))
		add("ep_codec_string", "CORE_PCM_MODULE.PCMU@8000h@20i@64000b")
	}
	a.prof.networkAddr = rhost
}

// addMediaVars adds the media sofia negotiates from the far end's SDP;
// on early media this follows CHANNEL_CALLSTATE EARLY (captures 18, 19).
func (a *channel) addMediaVars() {
	rhost, _, _, _, rmport := a.replyPeer()
	if v := a.varOr("remote_media_port", ""); v != "" {
		rmport = v // the SDP of the 183 still holds at the 200
	}
	lport := a.varOr("local_media_port", "")
	lip := a.varOr("local_media_ip", "127.0.0.1")
	a.delVar("rtp_use_codec_string")
	a.delVar("local_media_ip")
	a.delVar("local_media_port")
	a.delVar("advertised_media_ip")
	add := a.setVar
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
	add("remote_media_port", rmport)
}

// sofiaEarly is the A leg's side of a 183 with SDP: sofia records the
// reply, raises CHANNEL_PROGRESS_MEDIA and the EARLY call state, then
// negotiates media (the CODEC events), as captures 18 and 19 show.
func (a *channel) sofiaEarly() {
	a.addReplyVars(true)
	a.setVar("endpoint_disposition", "EARLY MEDIA")
	a.early = true
	a.progressMediaAt = a.s.nowMicros()
	a.emit(evProgMedia, nil, nil)
	a.setCallState(ccsEarly)
	a.addMediaVars()
	a.setCodec()
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
