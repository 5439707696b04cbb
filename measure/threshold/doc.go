// Package threshold checks a run's figures against pass/fail criteria
// written in a small language over the metric catalogue (measure.Catalogue,
// docs/metrics.md), in the manner of k6's thresholds: `switchio dial
// --threshold EXPR` (repeatable) fails the run when any of them does not
// hold. docs/thresholds.md is the user's guide.
//
// # Grammar
//
//	threshold   = [ aggregation "(" metric ")" | metric ] [ selector ] operator value .
//	aggregation = "p50" | "p90" | "p99" | "p99.9" | "max" .
//	metric      = a name of measure.Catalogue, e.g. call_setup_latency, asr, failed .
//	selector    = "{" pair { "," pair } "}" .
//	pair        = ( "server" | "app" | "cause" | "verdict" ) "=" text .
//	text        = a run of characters other than , } { " and spaces, or a Go "quoted string" .
//	operator    = "<" | "<=" | ">" | ">=" | "==" | "!=" .
//	value       = number [ unit ] .
//	number      = digits [ "." digits ] .
//	unit        = "ms" | "s" | "m" | "%" .
//
// Spaces and tabs may separate the parts; none may split a number from its
// unit. Names are case-sensitive.
//
// What applies to which metric:
//
//   - Latencies (pdd, call_setup_latency, hold_error ...: the catalogue's
//     percentile metrics) need an aggregation: p99(call_setup_latency).
//     Their value is a duration (ms, s, m); a bare number is in the
//     metric's catalogue unit (ms, or s for call_duration).
//   - Ratios (asr, ner, drop_rate, seizure_fail_rate,
//     answer_seizure_ratio) take a plain number from 0 to 1 or a
//     percentage: asr>=0.99 and asr>=99% are the same threshold. A
//     duration on a ratio is an error, and so is a plain number above 1
//     (asr>=99 is taken for a forgotten %).
//   - acd is a mean duration, in s: acd>=60s, acd>=1m, acd>=60.
//   - Counts (offered, answered, failed, completed, dropped, abandoned)
//     take a plain number: failed<5.
//   - The time series (call_rate, active_calls, erlangs) have no single
//     figure in the summary, so no threshold applies to them yet.
//
// A selector narrows the figures: {server=ADDR} to one server's calls (the
// event socket address, as in summary.json's per_server), {app=LABEL} to
// one app's (its label, as in per_app), {cause=CAUSE} to the failed calls
// of one hang-up cause (failed only). server and app do not combine (the
// summary has no figures per server and app); either combines with cause.
// {verdict=NAME} narrows media_failed to the calls failing one app check
// (dtmf_ok, audio_ok ...).
//
// Examples:
//
//	p99(call_setup_latency)<200ms
//	p50(pdd)<=3s
//	max(hold_error)<50ms
//	asr>=0.99
//	asr>=99%
//	ner>0.95
//	drop_rate<0.01
//	acd>=60s
//	failed{cause=USER_BUSY}<10
//	media_failed{verdict=dtmf_ok}==0
//	failed<5
//	answered>=1000
//	abandoned==0
//	p99(call_setup_latency){server=fs1:8021}<300ms
//	asr{app=TonePlay}>=0.9
//	failed{server=fs1:8021,cause=NO_ANSWER}==0
//	asr{app="TonePlay/freq=440,dur=2"}>=0.9
//
// A malformed threshold is a *ParseError: one line saying what is wrong
// and at which column (counted in characters from 1).
//
// # Evaluation
//
// Evaluate compares a threshold with a run's measure.MetricsSummary: the
// figures after the warm-up (calls offered during --warmup are left out).
// A threshold whose figure does not exist fails, and its Result says
// Missing: a latency without samples (p99(call_setup_latency) when no
// call was answered), a ratio whose denominator is zero (asr with no
// offered call, drop_rate with no answered call), a server or app the
// summary does not know (a misspelt address). A load test whose calls all
// failed must not pass a latency criterion for want of latencies. Counts
// are never missing for a known scope: none counted is 0.
package threshold
