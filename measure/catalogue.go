package measure

import "slices"

// Metric is one entry of switchio's catalogue of metrics: the single list
// that summaries, thresholds, Prometheus, the report and app verdicts
// refer to by name (docs/metrics.md is this list, explained).
type Metric struct {
	// Name is the metric's name (snake_case).
	Name string
	// Unit is "ms", "s", "ratio", "calls", "calls/s" or "erlang".
	Unit string
	// Clock is the clock(s) its times come from: "local", "caller",
	// "callee", or "caller-callee" when the two servers' clocks are
	// compared (only with a measured offset, see ClockOffsets).
	Clock string
	// Formula defines it over Record fields and outcome counts.
	Formula string
	// Latency is true for distributions reported as percentiles (p50,
	// p90, p99, p99.9, max) overall, per server and per app.
	Latency bool
}

// Metric names.
const (
	MetricOffered           = "offered"
	MetricAnswered          = "answered"
	MetricFailed            = "failed"
	MetricCompleted         = "completed"
	MetricDropped           = "dropped"
	MetricAbandoned         = "abandoned"
	MetricASR               = "asr"
	MetricNER               = "ner"
	MetricDropRate          = "drop_rate"
	MetricACD               = "acd"
	MetricPDD               = "pdd"
	MetricSeizureFailRate   = "seizure_fail_rate"
	MetricAnswerSeizure     = "answer_seizure_ratio"
	MetricInviteLatency     = "invite_latency"
	MetricAnswerLatency     = "answer_latency"
	MetricCallSetupLatency  = "call_setup_latency"
	MetricOriginateLatency  = "originate_latency"
	MetricLocalSetupLatency = "local_setup_latency"
	MetricCallDuration      = "call_duration"
	MetricHoldError         = "hold_error"
	MetricCallRate          = "call_rate"
	MetricAvgCallRate       = "avg_call_rate"
	MetricActiveCalls       = "active_calls"
	MetricErlangs           = "erlangs"
	MetricMediaChecked      = "media_checked"
	MetricMediaFailed       = "media_failed"
	MetricMediaUnchecked    = "media_unchecked"
	MetricMediaFailRate     = "media_fail_rate"
)

// catalogue is the table Catalogue returns a copy of.
var catalogue = []Metric{
	{MetricOffered, "calls", "local", "records (one per offered call)", false},
	{MetricAnswered, "calls", "caller", "records whose A leg reached CHANNEL_ANSWER (early media is not an answer)", false},
	{MetricFailed, "calls", "caller", "offered - answered (never answered; by hangup_cause)", false},
	{MetricCompleted, "calls", "local", "answered calls held for their hold time", false},
	{MetricDropped, "calls", "local", "answered calls ended early by the far end or the network", false},
	{MetricAbandoned, "calls", "local", "answered calls ended early by switchio (drain, interrupt, lost server)", false},
	{MetricASR, "ratio", "caller", "answered / offered", false},
	{MetricNER, "ratio", "caller", "(answered + failed with a user cause: " + userCausesDoc + ") / offered", false},
	{MetricDropRate, "ratio", "local", "dropped / answered", false},
	{MetricACD, "s", "caller", "mean of billmsec / 1000 over answered calls (caller_hangup - caller_answer where billmsec is not reported)", false},
	{MetricPDD, "ms", "caller", "first of caller_ringing, caller_early_media - caller_create (calls that got a 180 or 183)", true},
	{MetricSeizureFailRate, "ratio", "caller", "failed / offered (switchio's)", false},
	{MetricAnswerSeizure, "ratio", "caller", "1 - seizure_fail_rate (switchio's answer_seizure_ratio; equals asr)", false},
	{MetricInviteLatency, "ms", "caller-callee", "callee_create - caller_create (switchio's; across two servers only with their measured clock offset)", true},
	{MetricAnswerLatency, "ms", "caller-callee", "caller_answer - callee_answer (switchio's; same rule)", true},
	{MetricCallSetupLatency, "ms", "caller", "caller_answer - caller_create (switchio's)", true},
	{MetricOriginateLatency, "ms", "local", "caller_req_originate - job_launch (switchio's: time in switchio's send queue)", true},
	{MetricLocalSetupLatency, "ms", "local", "local_answer - caller_req_originate (originate written to answer seen)", true},
	{MetricCallDuration, "s", "caller", "caller_hangup - caller_create (switchio's)", true},
	{MetricHoldError, "ms", "caller", "|billmsec - hold_ms| over completed calls", true},
	{MetricCallRate, "calls/s", "local", "offered per second (time series); switchio's call_rate = 1/diff(caller_create)", false},
	{MetricAvgCallRate, "calls/s", "local", "(offered - 1) / (last job_launch - first job_launch): the run's mean call rate (switchio's avg_call_rate was a rolling mean over 100 calls; the time series' offered column is the rate per second)", false},
	{MetricActiveCalls, "calls", "local", "calls offered and not yet ended, sampled each second (time series)", false},
	{MetricErlangs, "erlang", "caller", "answered calls up, averaged over each second (time series)", false},
	{MetricMediaChecked, "calls", "local", "records with a media check verdict (an app's bool verdict declared as a check: dtmf_ok, audio_ok, bert_ok ...)", false},
	{MetricMediaFailed, "calls", "local", "records with a media check verdict false (apart from the outcome: a completed call can fail its media check)", false},
	{MetricMediaFailRate, "ratio", "local", "media_failed / media_checked", false},
	{MetricMediaUnchecked, "calls", "local", "records whose media check could not be made, with the reason in their media_unchecked verdict (recordings not readable here, a DTMF sequence cut short by the hang-up ...): neither checked nor failed", false},
}

// Catalogue returns every metric switchio computes. switchio's call_metrics
// keep switchio's names and formulas; the industry figures (ASR, NER,
// ACD, PDD, drop rate) theirs.
func Catalogue() []Metric { return slices.Clone(catalogue) }

// userCausesDoc lists the causes NER counts as the network's success:
// the call reached the user, who was busy, did not answer or refused.
const userCausesDoc = "USER_BUSY, NO_ANSWER, NO_USER_RESPONSE, CALL_REJECTED, ORIGINATOR_CANCEL, SUBSCRIBER_ABSENT"

// userCauses are the causes counted by NER (see userCausesDoc).
var userCauses = map[string]bool{
	"USER_BUSY": true, "NO_ANSWER": true, "NO_USER_RESPONSE": true, "CALL_REJECTED": true,
	"ORIGINATOR_CANCEL": true, "SUBSCRIBER_ABSENT": true,
}

// DeprecatedName is an old name of a catalogue figure, still accepted
// (thresholds) and still written (summary.json) for one release.
type DeprecatedName struct {
	Old, Name string
	// Until is the release after which Old is no longer accepted.
	Until string
}

// DeprecatedNames are the old names still accepted: setup_ms, the
// dialer summary's name of local_setup_latency (docs/metrics.md, "Set-up
// latencies").
func DeprecatedNames() []DeprecatedName {
	return []DeprecatedName{{Old: "setup_ms", Name: MetricLocalSetupLatency, Until: "the release after next"}}
}

// Canonical returns the catalogue name of name, which may be a
// deprecated one (deprecated is then true).
func Canonical(name string) (canonical string, deprecated bool) {
	for _, d := range DeprecatedNames() {
		if d.Old == name {
			return d.Name, true
		}
	}
	return name, false
}

// Lookup returns the catalogue entry of name.
func Lookup(name string) (Metric, bool) {
	for _, m := range catalogue {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}
