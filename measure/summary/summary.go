// Package summary holds a run's summary: what the dialer offered and the
// servers made of it, per server, the settings changed while it ran, the
// servers lost, the catalogue's figures and the thresholds' results. It is
// data only (summary.json, the report, the live view), so that reading a
// run needs no connection to a server.
package summary

import (
	"sort"
	"time"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/threshold"
)

// Latency summarises set-up latencies in milliseconds.
type Latency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Server is one server's part of a run's summary.
type Server struct {
	Addr          string            `json:"addr"`
	Dest          string            `json:"dest"`
	Offered       uint64            `json:"offered"`
	Answered      uint64            `json:"answered"`
	Failed        uint64            `json:"failed"`
	FailedByCause map[string]uint64 `json:"failed_by_cause"`
	PeakActive    int               `json:"peak_active"`
	// PeakBacklog is the largest number of originates without a result
	// (calls ringing at a far end included).
	PeakBacklog int `json:"peak_backlog"`
	// PeakQueued is the largest number the server held before taking
	// them on (no A leg yet): its own queue, which saturation watches.
	PeakQueued int `json:"peak_queued"`
	// LocalSetupLatency is the server's calls' local_setup_latency (as
	// Summary.LocalSetupLatency).
	LocalSetupLatency Latency `json:"local_setup_latency"`
	// SetupMs is LocalSetupLatency under its old name.
	//
	// Deprecated: use LocalSetupLatency; the setup_ms key goes after the
	// next release.
	SetupMs Latency `json:"setup_ms"`
	// CreateMs is the time from an originate written to its A leg's
	// CHANNEL_CREATE (or its result, when refused): the server's part of
	// a set-up, which no far end takes part in.
	CreateMs Latency `json:"create_ms"`
	// Saturated tells whether the server queued originates at some point;
	// SaturatedAtCPS is the rate it managed then, SaturatedAfterS when it
	// began (seconds after the first offer).
	Saturated       bool    `json:"saturated"`
	SaturatedAtCPS  float64 `json:"saturated_at_cps,omitempty"`
	SaturatedAfterS float64 `json:"saturated_after_s,omitempty"`
	// ControllerQueuePeak is the deepest the controller's queue of this
	// server's events got: when it is high, the controller (not the
	// server) was the bottleneck.
	ControllerQueuePeak int `json:"controller_queue_peak"`
}

// HoldError summarises how far completed calls' hold times were from the
// asked-for hold (absolute values, milliseconds), from the A leg's
// billmsec when the server reports it.
type HoldError struct {
	Latency
	// Within50ms is the share of completed calls held within 50 ms of
	// the asked-for hold; Short counts those held more than 50 ms less.
	Within50ms float64 `json:"within_50ms"`
	Short      uint64  `json:"short"`
}

// Run is the outcome of a run, for people and machines (summary.json). Offered ==
// Answered + Failed; Answered == Completed + Dropped + Abandoned once
// every call has ended (see Outcome).
type Run struct {
	ID            string            `json:"id"`
	State         string            `json:"state"`
	Offered       uint64            `json:"offered"`
	Answered      uint64            `json:"answered"`
	Failed        uint64            `json:"failed"`
	FailedByCause map[string]uint64 `json:"failed_by_cause"`
	Completed     uint64            `json:"completed"`
	Dropped       uint64            `json:"dropped"`
	Abandoned     uint64            `json:"abandoned"`
	// DroppedByCause counts answered calls the far end or the network
	// ended early, by hang-up cause.
	DroppedByCause map[string]uint64 `json:"dropped_by_cause"`
	// HoldErrorMs is how exactly completed calls were held.
	HoldErrorMs HoldError `json:"hold_error_ms"`
	// TargetRate is the rate asked for; OfferedRate the rate calls were
	// offered at ((offered - 1) over the first offer to the last);
	// AchievedRate the rate the servers set them up at: (answered - 1)
	// over the longer of the answers' span and the offers' span, so it
	// never exceeds OfferedRate and falls below it when a server falls
	// behind (its answers spread past the offers) or fails calls.
	TargetRate   float64 `json:"target_rate"`
	OfferedRate  float64 `json:"offered_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	Limit        int     `json:"limit"`
	MaxOffered   uint64  `json:"max_offered"`
	HoldS        float64 `json:"hold_s"`
	PeakActive   int     `json:"peak_active"`
	// DurationS runs from the first offer to the end of the last call
	// (or now, for calls still up).
	DurationS float64 `json:"duration_s"`
	// LocalSetupLatency is the catalogue's local_setup_latency: from the
	// originate written to its A leg's CHANNEL_ANSWER seen, on switchio's
	// clock (docs/metrics.md, "Set-up latencies"). The dialer measures
	// it as calls answer; once a CDR measured the run (package loadtest),
	// it is the catalogue's figure (calls after the warm-up), so the
	// summary, its metrics and the thresholds give one value.
	LocalSetupLatency Latency `json:"local_setup_latency"`
	// SetupMs is LocalSetupLatency under its old name.
	//
	// Deprecated: use LocalSetupLatency; the setup_ms key goes after the
	// next release.
	SetupMs    Latency  `json:"setup_ms"`
	Saturation []string `json:"saturation,omitempty"`
	// ControllerLimit, when set, says that switchio's own process spent
	// seconds of the offering with all its cores busy: the run measured
	// this host as much as the servers.
	ControllerLimit string            `json:"controller_limit,omitempty"`
	CallsByApp      map[string]uint64 `json:"calls_by_app"`
	Servers         []Server          `json:"servers"`
	// LostServers lists the servers given up on during the run, when
	// and with how many calls; AllServersLost tells that every one was.
	LostServers    []LostServer `json:"lost_servers,omitempty"`
	AllServersLost bool         `json:"all_servers_lost"`
	// Metrics are the catalogue's figures (docs/metrics.md) computed
	// from the run's call records, when a CDR measured the run.
	Metrics *measure.MetricsSummary `json:"metrics,omitempty"`
	// StartRate is the target rate when offering began (0 with stages,
	// which ramp from 0); with Changes it gives the target over time.
	StartRate float64 `json:"start_rate"`
	// Changes are the settings changed while the run went, in order,
	// with each stage of a load profile as it began.
	Changes []Change `json:"changes,omitempty"`
	// Stages is the run's load profile (dialer.Config.Stages), each stage as
	// ParseStage reads it ("30s:100"); TargetRate is then the rate where
	// the profile ended (or was taken over by a rate set by hand).
	Stages []string `json:"stages,omitempty"`
	// Seed seeded the run's arrival gaps and hold times: dialer.Config.Seed
	// (switchio dial --seed) repeats them. Arrivals and HoldDist name
	// the traffic model (HoldS is then the mean hold).
	Seed     uint64 `json:"seed"`
	Arrivals string `json:"arrivals"`
	HoldDist string `json:"hold_dist"`
	// Thresholds are the run's thresholds (docs/thresholds.md) evaluated
	// on Metrics, when any were given.
	Thresholds threshold.Results `json:"thresholds,omitempty"`
	// ServerSettings are the servers' limits the load-test settings
	// found, raised for the run and put back (dialer.Originator.Setup).
	ServerSettings []ServerSetting `json:"server_settings,omitempty"`
}

// LostServer is a server that was unreachable for dialer.Config.ServerTimeout.
type LostServer struct {
	Addr string `json:"addr"`
	// After is when its connection was lost, from the first offer.
	After time.Duration `json:"-"`
	// AfterS is After in seconds, for JSON.
	AfterS float64 `json:"after_s"`
	// Calls is how many calls it took down (released under
	// CauseServerLost).
	Calls int `json:"calls"`
}

// SortedCauses returns the causes of m by decreasing count.
func SortedCauses(m map[string]uint64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// ServerSetting is what the load-test settings found and changed on one
// server.
type ServerSetting struct {
	Addr string `json:"addr"`
	// SPS is "fsctl sps", MaxSessions "fsctl max_sessions".
	SPS         SettingValue `json:"sps"`
	MaxSessions SettingValue `json:"max_sessions"`
	// PhantomSPSPeak is the sessions-per-second peak, at least, that the
	// raise of SPS makes the server's status report (its "peak" and "last
	// 5min" figures, and HEARTBEAT's Session-Per-Sec-Max) though no
	// traffic made it: the raise plus the sessions of that second. It
	// stays until a restart or "fsctl sps_peak_reset"; 0 when SPS was not
	// raised.
	PhantomSPSPeak int `json:"phantom_sps_peak"`
	// Restored tells that the changed limits were put back to the values
	// found. RestoreCommands are the fsctl commands that put them back
	// (listed whenever a limit was changed), RestoreError why they could
	// not be sent or were refused.
	Restored        bool     `json:"restored"`
	RestoreCommands []string `json:"restore_commands,omitempty"`
	RestoreError    string   `json:"restore_error,omitempty"`
}

// SettingValue is one of a server's limits: the value Found before the
// run, the value the run Needed, and the value it Set (0: left as found).
type SettingValue struct {
	Found  int `json:"found"`
	Needed int `json:"needed"`
	Set    int `json:"set,omitempty"`
}

// Changed reports whether the run changed a limit of the server.
func (s ServerSetting) Changed() bool { return s.SPS.Set != 0 || s.MaxSessions.Set != 0 }

// Change is one setting changed while the dialer ran (SetRate, SetLimit,
// SetDuration, SetMaxOffered, SetRamp, SetServerLimit, SetWeight), for the
// summary and the report.
type Change struct {
	// At is when, from the first offer (negative: before it).
	At time.Duration `json:"-"`
	// AtS is At in seconds, for JSON.
	AtS float64 `json:"at_s"`
	// Setting is the setting's name ("rate", "weight <app>", "stage
	// 2/3" ...); Value its new value, as text.
	Setting string `json:"setting"`
	Value   string `json:"value"`
}

// UseLocalSetupLatency replaces the summary's local_setup_latency figures
// (overall, and per server by address: a server missing from perServer
// gets none) and their deprecated setup_ms copies: a run measured by a
// CDR gives the catalogue's figures, so that every place naming
// local_setup_latency (the summary, its metrics, the thresholds, the
// console) gives one value.
func (sm *Run) UseLocalSetupLatency(overall Latency, perServer map[string]Latency) {
	sm.LocalSetupLatency, sm.SetupMs = overall, overall
	for i := range sm.Servers {
		s := &sm.Servers[i]
		s.LocalSetupLatency = perServer[s.Addr]
		s.SetupMs = s.LocalSetupLatency
	}
}
