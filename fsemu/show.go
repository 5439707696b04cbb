package fsemu

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

var channelColumns = strings.Split("uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,initial_cid_name,initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context", ",")

var callColumns = strings.Split("uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,presence_id,presence_data,accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,hostname,sent_callee_name,sent_callee_num,b_uuid,b_direction,b_created,b_created_epoch,b_name,b_state,b_cid_name,b_cid_num,b_ip_addr,b_dest,b_presence_id,b_presence_data,b_accountcode,b_callstate,b_callee_name,b_callee_num,b_callee_direction,b_sent_callee_name,b_sent_callee_num,call_created_epoch", ",")

// channelRow is the row of the channels table for ch.
func (s *Server) channelRow(ch *channel) map[string]string {
	dir := "inbound"
	if ch.outbound {
		dir = "outbound"
	}
	created := time.UnixMicro(s.stampUs(ch.created))
	r := map[string]string{
		"uuid": ch.uuid, "direction": dir, "created": created.Format("2006-01-02 15:04:05"),
		"created_epoch": strconv.FormatInt(created.Unix(), 10), "name": ch.name,
		"state": stateNames[ch.running], "cid_name": ch.prof.cidName, "cid_num": ch.prof.cidNum,
		"ip_addr": ch.prof.networkAddr, "dest": ch.prof.dest, "dialplan": ch.prof.dialplan,
		"context": ch.prof.context, "hostname": s.cfg.Hostname, "callstate": callStateNames[ch.callState],
		"callee_name": ch.prof.calleeName, "callee_num": ch.prof.calleeNum,
		"initial_cid_name": ch.prof.origName, "initial_cid_num": ch.prof.origNum,
		"initial_ip_addr": ch.prof.networkAddr, "initial_dest": ch.prof.dest,
		"initial_dialplan": ch.prof.dialplan, "initial_context": ch.prof.context,
	}
	if ch.outbound {
		r["call_uuid"] = ch.varOr("call_uuid", ch.uuid)
	}
	if ch.varOr("channel_cid_flipped", "") != "" {
		r["callee_direction"] = "RECV"
	}
	if n := len(ch.apps); n > 0 {
		r["application"] = ch.apps[n-1].name
		r["application_data"] = ch.apps[n-1].arg
	}
	if ch.codec {
		name, br := ch.codecName()
		r["read_codec"], r["read_rate"], r["read_bit_rate"] = name, "8000", br
		r["write_codec"], r["write_rate"], r["write_bit_rate"] = name, "8000", br
	}
	return r
}

func formatRows(cols []string, rows []map[string]string, format string) string {
	var b strings.Builder
	switch format {
	case "json":
		if len(rows) == 0 {
			return "{\"row_count\": 0}\n"
		}
		b.WriteString("{\"row_count\":" + strconv.Itoa(len(rows)) + ",\"rows\":[")
		for i, r := range rows {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			for j, c := range cols {
				if j > 0 {
					b.WriteByte(',')
				}
				b.Write(appendJSONStr(nil, c))
				b.WriteByte(':')
				b.Write(appendJSONStr(nil, r[c]))
			}
			b.WriteByte('}')
		}
		b.WriteString("]}")
		return b.String()
	case "xml":
		b.WriteString("<result row_count=\"" + strconv.Itoa(len(rows)) + "\">\n")
		for i, r := range rows {
			b.WriteString("  <row row_id=\"" + strconv.Itoa(i+1) + "\">\n")
			for _, c := range cols {
				b.WriteString("    <" + c + ">" + r[c] + "</" + c + ">\n")
			}
			b.WriteString("  </row>\n")
		}
		b.WriteString("</result>\n")
		return b.String()
	}
	if len(rows) == 0 {
		return "\n0 total.\n"
	}
	delim := ","
	if strings.HasPrefix(format, "delim ") {
		delim = format[6:]
	}
	b.WriteString(strings.Join(cols, delim) + "\n")
	for _, r := range rows {
		for j, c := range cols {
			if j > 0 {
				b.WriteString(delim)
			}
			b.WriteString(r[c])
		}
		b.WriteByte('\n')
	}
	b.WriteString("\n" + strconv.Itoa(len(rows)) + " total.\n")
	return b.String()
}

func appendJSONStr(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, fmt.Sprintf("\\u%04x", c)...)
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func apiShow(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	if len(f) == 0 {
		done("-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n")
		return
	}
	format := ""
	if n := len(f); n >= 3 && f[n-2] == "as" {
		format = strings.ToLower(f[n-1])
		f = f[:n-2]
	}
	what := strings.ToLower(f[0])
	count := len(f) > 1 && f[1] == "count"
	like := ""
	if len(f) > 2 && f[1] == "like" {
		like = f[2]
	}
	switch what {
	case "channels", "detailed_channels":
		var rows []map[string]string
		for _, ch := range s.orderedChannels() {
			r := s.channelRow(ch)
			if like != "" && !strings.Contains(r["uuid"]+r["name"]+r["cid_name"]+r["cid_num"]+r["dest"], like) {
				continue
			}
			rows = append(rows, r)
		}
		if count {
			done("\n" + strconv.Itoa(len(rows)) + " total.\n")
			return
		}
		done(formatRows(channelColumns, rows, format))
	case "calls", "detailed_calls", "bridged_calls", "detailed_bridged_calls":
		var rows []map[string]string
		seen := map[*channel]bool{}
		for _, ch := range s.orderedChannels() {
			if seen[ch] {
				continue
			}
			b := ch.bridged
			if b == nil && strings.Contains(what, "bridged") {
				continue
			}
			r := s.channelRow(ch)
			if b != nil {
				seen[b] = true
				br := s.channelRow(b)
				for k, v := range br {
					r["b_"+k] = v
				}
				r["call_created_epoch"] = strconv.FormatInt(s.stampUs(ch.bridgedAt)/1e6, 10)
			}
			rows = append(rows, r)
		}
		if count {
			done("\n" + strconv.Itoa(len(rows)) + " total.\n")
			return
		}
		done(formatRows(callColumns, rows, format))
	case "status":
		apiStatus(s, "", done)
	case "modules", "api", "application", "endpoint", "codec", "file", "dialplan", "timer":
		rows := moduleRows(s, what)
		done(formatRows([]string{"type", "name", "ikey", "filename"}, rows, format))
	default:
		done("-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n")
	}
}

func moduleRows(s *Server, what string) []map[string]string {
	type m struct{ typ, name, key string }
	list := []m{}
	for n := range s.api {
		key := "mod_commands"
		if n == "sofia" {
			key = "mod_sofia"
		}
		list = append(list, m{"api", n, key})
	}
	for _, n := range []string{"answer", "bert_test", "bridge", "deflect", "echo", "endless_playback", "export",
		"hangup", "multiset", "park", "playback", "pre_answer", "record_session", "respond", "ring_ready",
		"sched_hangup", "send_dtmf", "set", "sleep", "stop_record_session", "unset"} {
		key := "mod_dptools"
		if n == "bert_test" {
			key = "mod_bert"
		}
		list = append(list, m{"application", n, key})
	}
	list = append(list, m{"endpoint", "loopback", "mod_loopback"}, m{"endpoint", "sofia", "mod_sofia"},
		m{"endpoint", "error", "mod_dptools"}, m{"codec", "G.711 ulaw", "CORE_PCM_MODULE"},
		m{"codec", "G.711 alaw", "CORE_PCM_MODULE"}, m{"file", "tone_stream", "mod_tone_stream"},
		m{"file", "silence_stream", "mod_tone_stream"}, m{"file", "wav", "mod_sndfile"},
		m{"dialplan", "XML", "mod_dialplan_xml"}, m{"timer", "soft", "CORE_SOFTTIMER_MODULE"})
	sort.Slice(list, func(i, j int) bool {
		if list[i].typ != list[j].typ {
			return list[i].typ < list[j].typ
		}
		return list[i].name < list[j].name
	})
	var rows []map[string]string
	for _, x := range list {
		if what != "modules" && x.typ != what {
			continue
		}
		file := "/usr/local/freeswitch/lib/freeswitch/mod/" + x.key + ".so"
		if strings.HasPrefix(x.key, "CORE_") {
			file = "/" + x.key + ".so"
		}
		rows = append(rows, map[string]string{"type": x.typ, "name": x.name, "ikey": x.key, "filename": file})
	}
	return rows
}

const sofiaRule = "=================================================================================================\n"

func apiSofia(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	if len(f) == 0 || f[0] == "help" {
		done("USAGE:\n--------------------------------------------------------------------------------\nsofia global siptrace <on|off>\nsofia status [profile <name> [reg <contact str>]] | [gateway <name>]\nsofia profile <name> [start|stop|restart|rescan] | [siptrace <on|off>]\n--------------------------------------------------------------------------------\n")
		return
	}
	inuse := func(prof string) int {
		n := 0
		for _, ch := range s.channels {
			if ch.endpoint == "sofia" && strings.HasPrefix(ch.name, "sofia/"+prof+"/") {
				n++
			}
		}
		return n
	}
	switch f[0] {
	case "status":
		if len(f) >= 3 && f[1] == "profile" {
			name := f[2]
			if name != "external" && name != "internal" {
				done("Invalid Profile!\n")
				return
			}
			done(s.sofiaProfileStatus(name))
			return
		}
		if len(f) >= 3 && f[1] == "gateway" {
			addr, ok := s.cfg.Gateways[f[2]]
			if !ok {
				done("Invalid Gateway!\n")
				return
			}
			done(sofiaRule + fmt.Sprintf("Name    \t%s\nProfile \texternal\nTo      \tsip:%s\nState   \tNOREG\nStatus  \tUP\n", f[2], addr) + sofiaRule)
			return
		}
		var b strings.Builder
		b.WriteString(fmt.Sprintf("%25s\t%s\t  %40s\t%s\n", "Name", "   Type", "Data", "State"))
		b.WriteString(sofiaRule)
		b.WriteString(fmt.Sprintf("%25s\t%s\t  %40s\t%s\n", "external", "profile", "sip:mod_sofia@"+s.sipAddr, "RUNNING ("+strconv.Itoa(inuse("external"))+")"))
		gws := make([]string, 0, len(s.cfg.Gateways))
		for g := range s.cfg.Gateways {
			gws = append(gws, g)
		}
		sort.Strings(gws)
		for _, g := range gws {
			b.WriteString(fmt.Sprintf("%25s\t%s\t  %40s\t%s\n", "external::"+g, "gateway", "sip:"+s.cfg.Gateways[g], "NOREG"))
		}
		b.WriteString(fmt.Sprintf("%25s\t%s\t  %40s\t%s\n", "internal", "profile", "sip:mod_sofia@"+s.intAddr, "RUNNING ("+strconv.Itoa(inuse("internal"))+")"))
		b.WriteString(sofiaRule)
		b.WriteString("2 profiles 0 aliases\n")
		done(b.String())
	case "profile":
		if len(f) >= 4 && f[2] == "siptrace" {
			if f[3] == "on" {
				done("Enabled sip debugging on " + f[1])
			} else {
				done("Disabled sip debugging on " + f[1])
			}
			return
		}
		done("+OK\n")
	case "global":
		done("+OK\n")
	default:
		done("-ERR Unknown command!\n")
	}
}

func (s *Server) sofiaProfileStatus(name string) string {
	addr := s.profileAddr(name)
	host := hostOf(addr)
	ctx := "switchio"
	if name == "internal" {
		ctx = "default"
	}
	if s.cfg.Context != "" {
		ctx = s.cfg.Context
	}
	in, out, fin, fout := 0, 0, 0, 0
	if name == "external" {
		in, out, fin, fout = s.callsIn, s.callsOut, s.failedIn, s.failedOut
	}
	rows := [][2]string{
		{"Name", name}, {"Domain Name", "N/A"}, {"Auto-NAT", "false"}, {"DBName", "sofia_reg_" + name},
		{"Pres Hosts", ""}, {"Dialplan", "XML"}, {"Context", ctx}, {"Challenge Realm", "auto_to"},
		{"RTP-IP", host}, {"Ext-RTP-IP", host}, {"SIP-IP", host}, {"Ext-SIP-IP", host},
		{"URL", "sip:mod_sofia@" + addr},
		{"BIND-URL", "sip:mod_sofia@" + addr + ";maddr=" + host + ";transport=udp,tcp"},
		{"HOLD-MUSIC", "N/A"}, {"OUTBOUND-PROXY", "N/A"}, {"CODECS IN", "PCMU,PCMA"},
		{"CODECS OUT", "PCMU,PCMA"}, {"TEL-EVENT", "101"}, {"DTMF-MODE", "rfc2833"}, {"CNG", "13"},
		{"SESSION-TO", "0"}, {"MAX-DIALOG", "0"}, {"MAX-RECV-RPS", "1000"}, {"NOMEDIA", "false"},
		{"LATE-NEG", "false"}, {"PROXY-MEDIA", "false"}, {"AGGRESSIVENAT", "false"},
		{"CALLS-IN", strconv.Itoa(in)}, {"FAILED-CALLS-IN", strconv.Itoa(fin)},
		{"CALLS-OUT", strconv.Itoa(out)}, {"FAILED-CALLS-OUT", strconv.Itoa(fout)}, {"REGISTRATIONS", "0"},
	}
	var b strings.Builder
	b.WriteString(sofiaRule)
	for _, r := range rows {
		b.WriteString(fmt.Sprintf("%-17s\t%s\n", r[0], r[1]))
	}
	return b.String()
}
