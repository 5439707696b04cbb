package fsemu

import "strings"

// Applications fsemu runs, and the refusal of every other one.
//
// FreeSWITCH looks an application up by name before it runs it; a name
// no loaded module registers is refused before any event:
// switch_core_session_execute_application_get_flags (switch_core_session.c)
// logs "Invalid Application <name>" at ERR and hangs the channel up with
// DESTINATION_OUT_OF_ORDER, so no CHANNEL_EXECUTE is raised for it. The
// same holds on every path that runs an application: sendmsg execute,
// uuid_broadcast's app::arg, an originate's &app(arg) and the dialplan
// (captured on FreeSWITCH 1.10.12: CHANNEL_HANGUP DESTINATION_OUT_OF_ORDER,
// then for a parked channel CHANNEL_UNPARK and park's
// CHANNEL_EXECUTE_COMPLETE, then the hang-up states).

// emulatedApps are the applications fsemu runs (runApp).
var emulatedApps = map[string]bool{
	"park": true, "answer": true, "pre_answer": true, "ring_ready": true, "hangup": true,
	"respond": true, "deflect": true, "set": true, "export": true, "unset": true,
	"multiset": true, "sleep": true, "sched_hangup": true, "echo": true, "playback": true,
	"endless_playback": true, "record_session": true, "stop_record_session": true,
	"bert_test": true, "set_mute": true, "send_dtmf": true, "bridge": true, "socket": true,
	"read": true, "play_and_get_digits": true, "speak": true,
	// accepted and completed at once without an emulated effect
	"log": true, "info": true, "event": true, "gentones": true, "record": true,
	"start_dtmf": true, "stop_dtmf": true,
}

// realApps are the other applications the reference FreeSWITCH 1.10.12
// registers ("show application": mod_dptools, mod_commands, mod_db,
// mod_hash, mod_loopback, mod_sofia, mod_spandsp, mod_bert,
// mod_event_socket). fsemu refuses them as it refuses unknown names, but
// first says in a WARNING log line that the application exists and is not
// emulated, so a test does not read a missing emulation as a misspelling.
// mod_avmd is not loaded there, so avmd_start and avmd_stop are not
// listed: they are refused as FreeSWITCH refuses them.
var realApps = func() map[string]bool {
	m := make(map[string]bool)
	for _, name := range strings.Fields(realAppNames) {
		if !emulatedApps[name] {
			m[name] = true
		}
	}
	return m
}()

const realAppNames = `acknowledge_call att_xfer bgsystem bind_digit_action
bind_meta_app block_dtmf break bridge_export broadcast capture capture_text check_acl
clear_digit_action clear_speech_cache cng_plc db debug_media deduplicate_dtmf
delay_echo detect_audio detect_silence detect_speech digit_action_set_realm
displace_session early_hangup eavesdrop enable_heartbeat enable_keepalive eval
execute_extension fax_detect filter_codecs flush_dtmf group hash hold intercept ivr
jitterbuffer limit limit_execute limit_hash limit_hash_execute loop_playback
media_reset mkdir msrp_recv_file msrp_send_file multiunset mutex native_eavesdrop
novideo park_state phrase pickup play_and_detect_speech preprocess presence privacy
push queue_dtmf record_session_mask record_session_pause record_session_resume
record_session_unmask recovery_refresh redirect remove_bugs rename
reuse_caller_profile rxfax say sched_broadcast sched_cancel sched_heartbeat
sched_transfer send_display send_info session_loglevel set_audio_level set_global
set_media_stats set_name set_profile_var set_user set_zombie_exec sofia_sla
sofia_stir_shaken_vs soft_hold sound_test spandsp_detect_tdd spandsp_inject_tdd
spandsp_send_tdd spandsp_start_dtmf spandsp_start_fax_detect spandsp_start_tone_detect
spandsp_stop_detect_tdd spandsp_stop_dtmf spandsp_stop_fax_detect
spandsp_stop_inject_tdd spandsp_stop_tone_detect start_dtmf_generate stop
stop_displace_session stop_dtmf_generate stop_tone_detect stop_video_write_overlay
stopfax strftime system t38_gateway three_way tone_detect transfer transfer_vars
txfax unbind_meta_app unblock_dtmf unhold unloop unshift vad_test verbose_events
video_decode video_refresh video_write_overlay wait_for_answer wait_for_silence
wait_for_video_ready`

// refuseApp refuses an application fsemu does not run, as FreeSWITCH
// refuses a name it does not know: the ERR log line, then the hang-up with
// DESTINATION_OUT_OF_ORDER. then (uuid_broadcast's COMMAND event) runs
// right after CHANNEL_HANGUP, where the real server dispatches it.
// Called with the lock held.
func (ch *channel) refuseApp(q queuedApp) {
	s := ch.s
	if realApps[q.name] {
		s.logLine(4, 3, "fsemu", "refuseApp", 0, ch.uuid,
			"Application "+q.name+" exists in FreeSWITCH but is not emulated by fsemu\n")
	}
	s.logLine(3, 3, "switch_core_session.c", "switch_core_session_execute_application_get_flags", 2766, ch.uuid,
		"Invalid Application "+q.name+"\n")
	ch.afterHangupEvent = q.then
	s.hangup(ch, "DESTINATION_OUT_OF_ORDER")
}
