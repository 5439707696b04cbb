package fsemu

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Inbound INVITE handling: the B leg a far server creates for a sofia
// originate.

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
	v("sip_invite_stamp", u64(b.s.stampUs(b.created))) // sofia: switch_micro_time_now(), on the tick
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
