package fsemu

// spsSecond closes one second of the sessions-per-second throttle as
// FreeSWITCH's timer thread does (switch_time.c, SWITCH_MODULE_RUNTIME_
// FUNCTION(softtimer_runtime), once per second): the second's count is
// the limit minus what is left of it, sps_last = sps_total - sps, so a
// limit raised by "fsctl sps" during the second counts the raise as
// sessions (a phantom peak that only "fsctl sps_peak_reset" or a restart
// clears) and one lowered counts negative (shown as such by "status" and
// "fsctl last_sps" for that second). The peaks keep the highest count,
// the five-minute one over windows of 300 seconds; what is left is
// refilled to the limit. s's lock held.
func (s *Server) spsSecond() {
	s.lastSPS = s.sps - s.spsLeft
	if s.spsTicks >= 300 {
		s.peakSPS5 = 0
		s.spsTicks = 0
	}
	s.spsTicks++
	s.peakSPS5 = max(s.peakSPS5, s.lastSPS)
	s.peakSPS = max(s.peakSPS, s.lastSPS)
	s.spsLeft = s.sps
}
