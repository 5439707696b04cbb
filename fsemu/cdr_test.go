package fsemu

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// Call-detail variables: what switch_core_session_hangup_state
// (switch_core_state_machine.c) sets at hang-up — hangup_cause,
// hangup_cause_q850, switch_channel_set_timestamps' stamps, epochs and
// durations (switch_channel.c), sofia's sip_hangup_disposition, and
// switch_core_media_set_stats' rtp_audio_* (switch_core_media.c).

// isCDRVar reports whether a variable_* header is a call-detail variable.
func isCDRVar(name string) bool {
	v, ok := strings.CutPrefix(name, varPrefix)
	if !ok {
		return false
	}
	if strings.HasPrefix(v, "rtp_audio_") || strings.HasPrefix(v, "hangup_cause") ||
		strings.HasSuffix(v, "_stamp") || strings.HasSuffix(v, "epoch") ||
		strings.HasPrefix(v, "hold_accum_") || v == "sip_hangup_disposition" {
		return true
	}
	switch v {
	case "digits_dialed", "last_app", "last_arg", "caller_id", "is_loopback":
		return true
	}
	for _, d := range cdrDurations(0, 0, 0, 0, 0, 0) {
		if v == d.k {
			return true
		}
	}
	return false
}

// cdrSet lists an event's call-detail variables.
func cdrSet(ev *wire.Event) []string {
	var out []string
	for _, h := range ev.Headers {
		if isCDRVar(h.Name) {
			out = append(out, h.Name)
		}
	}
	sort.Strings(out)
	return out
}

// hangupEvents picks a leg's CHANNEL_CALLSTATE HANGUP, CHANNEL_STATE
// CS_REPORTING and CHANNEL_HANGUP_COMPLETE.
func hangupEvents(evs []*wire.Event) map[string]*wire.Event {
	out := map[string]*wire.Event{}
	for _, ev := range evs {
		switch k := legKey(ev); {
		case strings.HasSuffix(k, ">HANGUP") && ev.Name() == "CHANNEL_CALLSTATE",
			k == "CHANNEL_STATE CS_REPORTING", k == "CHANNEL_HANGUP_COMPLETE":
			out[k[:strings.IndexByte(k+" ", ' ')]+" "+ev.Get("Channel-State")] = ev
		}
	}
	return out
}

// legEvents groups a frame stream's channel events by leg, under the
// capture's uuids (m maps the stream's; nil for the capture itself).
func legEvents(fr []capFrame, m map[string]string) map[string][]*wire.Event {
	out := map[string][]*wire.Event{}
	for _, f := range fr {
		if f.ev == nil {
			continue
		}
		id := f.ev.Get("Unique-ID")
		if id == "" {
			continue
		}
		if c := m[id]; c != "" {
			id = c
		}
		out[id] = append(out[id], f.ev)
	}
	return out
}

// replayCapture drives an emulated server through a capture's commands,
// as the golden tests do, and returns the run for inspection.
func replayCapture(t *testing.T, name string, onStep func(*Server)) (*goldenRun, []capFrame) {
	t.Helper()
	clock := NewVirtualClock(captureEpoch)
	srv := RunT(t, goldenConfig(clock, "127.0.0.1:5080"))
	capture := loadCapture(t, name)
	g := newGoldenRun(t, srv, clock, capture)
	g.onStep = onStep
	g.drive(readTx(t, name), nil)
	return g, capture
}

func varNum(ev *wire.Event, name string) int64 {
	n, _ := strconv.ParseInt(ev.Get(varPrefix+name), 10, 64)
	return n
}

// checkTimestampRule checks switch_channel_set_timestamps' arithmetic on
// one HANGUP_COMPLETE: *sec from whole seconds, *msec from whole
// milliseconds, *usec exact; bill* and flow_bill* only when answered,
// wait* only when bridged.
func checkTimestampRule(t *testing.T, who string, ev *wire.Event) {
	t.Helper()
	us := func(n string) int64 { return varNum(ev, n+"_uepoch") }
	want := cdrDurations(us("start"), us("answer"), us("bridge"), us("progress"), us("progress_media"), us("end"))
	for _, d := range want {
		if got := varNum(ev, d.k); got != d.v || ev.Get(varPrefix+d.k) == "" {
			t.Errorf("%s: %s = %q, want %d", who, d.k, ev.Get(varPrefix+d.k), d.v)
		}
	}
	cid := ev.Get("Caller-Caller-ID-Number")
	if n := ev.Get("Caller-Caller-ID-Name"); n != "" {
		cid = "\"" + n + "\" <" + cid + ">"
	}
	if got := ev.Get(varPrefix + "caller_id"); got != cid {
		t.Errorf("%s: caller_id %q, want %q from the caller profile", who, got, cid)
	}
	for _, n := range []string{"start", "answer", "end", "progress_media"} {
		if e := varNum(ev, n+"_epoch"); e != us(n)/1e6 {
			t.Errorf("%s: %s_epoch %d, uepoch %d", who, n, e, us(n))
		}
	}
}

// flowValues are the call-detail values a call's flow decides, whatever
// its timing. caller_id follows the caller profile (checked by
// checkTimestampRule); the profile itself is the golden tests' concern.
func flowValues(ev *wire.Event) map[string]string {
	v := func(n string) string { return ev.Get(varPrefix + n) }
	nz := func(n string) string {
		switch x := v(n); x {
		case "":
			return "absent"
		case "0", "0.00":
			return "zero"
		}
		return "non-zero"
	}
	out := map[string]string{
		"hangup_cause":           v("hangup_cause"),
		"hangup_cause_q850":      v("hangup_cause_q850"),
		"sip_hangup_disposition": v("sip_hangup_disposition"),
		"last_app":               v("last_app"),
		"digits_dialed":          v("digits_dialed"),
		"answered":               nz("answer_epoch"),
		"progress_media":         nz("progress_media_epoch"),
		"bridged":                nz("bridge_epoch"),
		"rtp_audio_in_mos":       v("rtp_audio_in_mos"),
		"quality":                v("rtp_audio_in_quality_percentage"),
		"flaws":                  v("rtp_audio_in_flaw_total"),
	}
	for _, n := range []string{"in_media_packet_count", "in_dtmf_packet_count", "out_media_packet_count",
		"out_dtmf_packet_count", "in_mean_interval", "in_skip_packet_count"} {
		out[n] = nz("rtp_audio_" + n)
	}
	return out
}

// TestCallDetailVariables replays captures and compares, per leg, which
// call-detail variables CHANNEL_CALLSTATE HANGUP, CHANNEL_STATE
// CS_REPORTING and CHANNEL_HANGUP_COMPLETE carry, the values the flow
// decides (cause, disposition, answered or not, zero or non-zero packet
// counts, MOS) and, on both sides, the timestamp arithmetic.
func TestCallDetailVariables(t *testing.T) {
	cases := []struct {
		name   string
		onStep func(*Server) // acts on the server as the replay goes (autoAnswer)
	}{
		{"06_call_sofia_plain_all", nil},
		{"10_hupall", nil},
		{"12_api_originate_sync", autoAnswer},
		// early media (pre_answer) answered, never answered, ringing:
		// the far ends are the emulated dialplan's em<ms>, emnoanswer,
		// ring<ms>
		{"18_early_media_answered", nil},
		{"19_early_media_never_answered", nil},
		{"20_ringing_then_answered", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, capture := replayCapture(t, tc.name, tc.onStep)
			cl := legEvents(capture, nil)
			el := legEvents(g.frames, g.e2c)
			ids := make([]string, 0, len(cl))
			for id := range cl {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				ch, eh := hangupEvents(cl[id]), hangupEvents(el[id])
				if len(ch) == 0 {
					continue
				}
				name := id[:8] + " " + cl[id][0].Get("Channel-Name")
				for k, cev := range ch {
					eev := eh[k]
					if eev == nil {
						t.Errorf("%s: emulator has no %s", name, k)
						continue
					}
					if d := diffSets(cdrSet(cev), cdrSet(eev)); d != "" {
						t.Errorf("%s %s: call-detail variables differ: %s", name, k, d)
					}
				}
				cev, eev := ch["CHANNEL_HANGUP_COMPLETE CS_REPORTING"], eh["CHANNEL_HANGUP_COMPLETE CS_REPORTING"]
				if cev == nil || eev == nil {
					continue
				}
				checkTimestampRule(t, "capture "+name, cev)
				checkTimestampRule(t, "emulator "+name, eev)
				cv, ev := flowValues(cev), flowValues(eev)
				keys := make([]string, 0, len(cv))
				for k := range cv {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					if cv[k] != ev[k] {
						t.Errorf("%s: %s is %q, capture %q", name, k, ev[k], cv[k])
					}
				}
			}
		})
	}
}

// TestCallDetailVariablesVerbose: with verbose events every channel event
// carries the variables, so the call-detail ones show where FreeSWITCH
// sets them (switch_core_session_hangup_state): hangup_cause and the
// timestamps before CHANNEL_CALLSTATE HANGUP, the RTP statistics after it
// (switch_core_media_set_stats), all of them from CS_REPORTING on; none
// on CHANNEL_HANGUP.
func TestCallDetailVariablesVerbose(t *testing.T) {
	clock := NewVirtualClock(captureEpoch)
	cfg := goldenConfig(clock, "127.0.0.1:5080")
	cfg.VerboseEvents = true
	cfg.Inbound = Inbound{Action: "answer"}
	srv := RunT(t, cfg)
	g := newGoldenRun(t, srv, clock, nil)
	g.prepare(nil)
	g.step(txCommand{raw: []byte("auth ClueCon\n\n")})
	g.step(txCommand{raw: []byte("event plain ALL\n\n")})
	const id = "cd000000-0000-0000-0000-000000000001"
	res := bgOriginate(srv, "{origination_uuid="+id+"}sofia/external/1000@"+srv.SIPAddr()+" &playback(tone_stream://%(1000,0,440))")
	if r := waitResult(t, res, clock, 10*time.Millisecond); r[0] != '+' {
		t.Fatal(r)
	}
	clock.Advance(1500 * time.Millisecond)
	apiText(srv, "uuid_kill "+id)
	g.finish()
	evs := legEvents(g.frames, nil)[id]
	has := func(ev *wire.Event, name string) bool { _, ok := ev.Lookup(varPrefix + name); return ok }
	seen := 0
	for _, ev := range evs {
		k := legKey(ev)
		switch {
		case ev.Name() == "CHANNEL_HANGUP":
			seen++
			if has(ev, "hangup_cause") || has(ev, "billsec") || has(ev, "rtp_audio_in_mos") {
				t.Errorf("%s carries call-detail variables", k)
			}
		case k == "CHANNEL_CALLSTATE ACTIVE>HANGUP":
			seen++
			if !has(ev, "hangup_cause") || !has(ev, "billsec") || !has(ev, "flow_billusec") {
				t.Errorf("%s lacks hangup_cause or the timestamps", k)
			}
			if has(ev, "rtp_audio_in_mos") {
				t.Errorf("%s carries RTP statistics, set after it", k)
			}
		case k == "CHANNEL_STATE CS_REPORTING", k == "CHANNEL_HANGUP_COMPLETE":
			seen++
			for _, n := range []string{"hangup_cause", "billsec", "sip_hangup_disposition", "rtp_audio_in_mos"} {
				if !has(ev, n) {
					t.Errorf("%s lacks %s", k, n)
				}
			}
			if n := varNum(ev, "rtp_audio_out_media_packet_count"); n != 50 {
				t.Errorf("%s: the leg played 1 s of tone, %d packets out, want 50", k, n)
			}
		}
	}
	if seen != 4 {
		t.Errorf("saw %d of the 4 hang-up events", seen)
	}
}
