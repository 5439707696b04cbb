package dialer

// UseLocalSetupLatency replaces the summary's local_setup_latency figures
// (overall, and per server by address: a server missing from perServer
// gets none) and their deprecated setup_ms copies: a run measured by a
// CDR gives the catalogue's figures, so that every place naming
// local_setup_latency (the summary, its metrics, the thresholds, the
// console) gives one value.
func (sm *Summary) UseLocalSetupLatency(overall Latency, perServer map[string]Latency) {
	sm.LocalSetupLatency, sm.SetupMs = overall, overall
	for i := range sm.Servers {
		s := &sm.Servers[i]
		s.LocalSetupLatency = perServer[s.Addr]
		s.SetupMs = s.LocalSetupLatency
	}
}
