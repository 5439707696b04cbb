package measure

import "time"

// AcrossServers corrects span, a difference of two times read on the
// caller's server and the callee's, for the servers' clocks: unchanged when
// one server holds both legs (calleeServer "" or server), else plus the
// callee's clock offset minus the caller's (each server's time plus its
// offset is switchio's). It is false when either offset is unknown. It is
// the one formula of invite_latency and answer_latency, in the figures and
// in the report.
func AcrossServers(offsets map[string]ClockOffset, server, calleeServer string, span time.Duration) (time.Duration, bool) {
	if calleeServer == "" || calleeServer == server {
		return span, true
	}
	oc, ok1 := offsets[server]
	oe, ok2 := offsets[calleeServer]
	if !ok1 || !ok2 {
		return 0, false
	}
	return span + time.Duration((oe.OffsetMs-oc.OffsetMs)*float64(time.Millisecond)), true
}
