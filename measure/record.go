// Package measure is switchio's measurement: one call-detail record per
// call (CDR) built from the pool's events and, in a load test, from the
// dialer's own facts; the catalogue of metrics computed from those
// records; per-second time series; and system statistics of the
// controller and of each FreeSWITCH server. Package measure/store writes
// them to Parquet (and CSV) as they come and reads a run back.
package measure

import "time"

// Clock names the clock a time was read on. No figure subtracts times of
// two clocks unless their offset was measured (see ClockOffset).
type Clock string

// Clocks.
const (
	// ClockLocal is the controller's clock (monotonic differences).
	ClockLocal Clock = "local"
	// ClockCaller is the clock of the server that placed the call (its
	// A leg's event timestamps, microseconds, stepping ~20 ms on a real
	// server).
	ClockCaller Clock = "caller"
	// ClockCallee is the clock of the server that holds the B leg (the
	// same server when a server calls itself).
	ClockCallee Clock = "callee"
)

// Record is one call's CDR: one per offered call in a load test
// (answered + failed == offered, see docs/outcomes.md), one per call seen
// by switchio serve. Zero times and nil pointers are unknown (null in
// Parquet). Column names are switchio's where it had the field.
type Record struct {
	// CallID is the call key: the A leg's uuid for calls switchio placed.
	CallID string `parquet:"call_id"`
	// Seq is the call's offer number in a load test, from 0.
	Seq int64 `parquet:"seq"`
	// Server is the event socket address of the server holding the A leg;
	// CalleeServer that of the B leg ("" when not seen).
	Server       string `parquet:"server"`
	CalleeServer string `parquet:"callee_server,optional"`
	// App is the app's label (its spec, e.g. "TonePlay/freq=440").
	App string `parquet:"app"`
	// Destination is the number or URI dialled.
	Destination string `parquet:"destination,optional"`
	// Outcome is failed, completed, dropped or abandoned (dial); for
	// calls only observed (serve): answered or failed.
	Outcome string `parquet:"outcome"`
	// HangupBy is who ended the call: "switchio", "far_end" (the other
	// side hung up), "server" (the server's own scheduled hang-up: the
	// guard, or the hold of dial --server-hangup) or "".
	HangupBy string `parquet:"hangup_by,optional"`
	// HangupCause is the A leg's hang-up cause (or the originate's -ERR
	// cause, or one of switchio's SWITCHIO_* causes).
	HangupCause string `parquet:"hangup_cause"`
	// SIPCallID, SIPTermStatus and Q850Cause join a call with SBC logs
	// and packet captures.
	SIPCallID     string `parquet:"sip_call_id,optional"`
	SIPTermStatus string `parquet:"sip_term_status,optional"`
	Q850Cause     *int32 `parquet:"q850_cause,optional"`

	// JobLaunch is when the originate was handed to the sender and
	// CallerReqOriginate when it was written (local clock).
	JobLaunch          time.Time `parquet:"job_launch,timestamp(microsecond),optional"`
	CallerReqOriginate time.Time `parquet:"caller_req_originate,timestamp(microsecond),optional"`
	// Caller* are the A leg's times on its server's clock: create,
	// CHANNEL_ORIGINATE, 180 (CHANNEL_PROGRESS), 183
	// (CHANNEL_PROGRESS_MEDIA), answer and hang-up.
	CallerCreate     time.Time `parquet:"caller_create,timestamp(microsecond),optional"`
	CallerOriginate  time.Time `parquet:"caller_originate,timestamp(microsecond),optional"`
	CallerRinging    time.Time `parquet:"caller_ringing,timestamp(microsecond),optional"`
	CallerEarlyMedia time.Time `parquet:"caller_early_media,timestamp(microsecond),optional"`
	CallerAnswer     time.Time `parquet:"caller_answer,timestamp(microsecond),optional"`
	CallerHangup     time.Time `parquet:"caller_hangup,timestamp(microsecond),optional"`
	// Callee* are the B leg's times on its server's clock.
	CalleeCreate time.Time `parquet:"callee_create,timestamp(microsecond),optional"`
	CalleeAnswer time.Time `parquet:"callee_answer,timestamp(microsecond),optional"`
	CalleeHangup time.Time `parquet:"callee_hangup,timestamp(microsecond),optional"`
	// LocalAnswer and LocalHangup are when the A leg's CHANNEL_ANSWER and
	// hang-up reached the controller (local clock).
	LocalAnswer time.Time `parquet:"local_answer,timestamp(microsecond),optional"`
	LocalHangup time.Time `parquet:"local_hangup,timestamp(microsecond),optional"`

	// FailedCalls is the cumulative number of failed calls when this
	// record was written; ActiveSessions and Erlangs the calls up when
	// this one was created.
	FailedCalls    int64   `parquet:"failed_calls"`
	ActiveSessions int64   `parquet:"active_sessions"`
	Erlangs        float64 `parquet:"erlangs"`

	// HoldMs is the hold time asked for (0 when none, or when the call's
	// app ends its calls itself).
	HoldMs int64 `parquet:"hold_ms"`
	// BillSec, BillMsec, ProgressSec, ProgressMediaSec are FreeSWITCH's
	// own figures for the A leg (switch_channel_set_timestamps: whole-
	// second differences for *sec).
	BillSec          *int64 `parquet:"billsec,optional"`
	BillMsec         *int64 `parquet:"billmsec,optional"`
	ProgressSec      *int64 `parquet:"progresssec,optional"`
	ProgressMediaSec *int64 `parquet:"progress_mediasec,optional"`

	// CallerRTP and CalleeRTP are the media figures FreeSWITCH reports
	// at hang-up for each leg (nil where the leg had no RTP session).
	CallerRTP *RTP `parquet:"caller_rtp,optional"`
	CalleeRTP *RTP `parquet:"callee_rtp,optional"`

	// Verdicts are the app's typed results (see VerdictSpec), by name.
	Verdicts map[string]Value `parquet:"-"`
}

// RTP is one leg's media figures as FreeSWITCH reports them at hang-up
// (rtp_audio_in_* variables, switch_rtp.c). MOS and Quality are nil
// where no packet was received.
type RTP struct {
	// InPackets are the audio packets received (rtp_audio_in_media_packet_count).
	InPackets int64 `parquet:"in_packets"`
	// OutPackets are the audio packets sent (rtp_audio_out_media_packet_count).
	OutPackets int64 `parquet:"out_packets"`
	// InSkipped are the received packets skipped (rtp_audio_in_skip_packet_count).
	InSkipped int64 `parquet:"in_skip_packets"`
	// InFlaws are the flaws counted on reception (rtp_audio_in_flaw_total).
	InFlaws int64 `parquet:"in_flaws"`
	// JitterMinMs and JitterMaxMs are the least and largest jitter
	// variance seen (rtp_audio_in_jitter_min_variance, _max_variance).
	JitterMinMs *float64 `parquet:"jitter_min_ms,optional"`
	JitterMaxMs *float64 `parquet:"jitter_max_ms,optional"`
	// MOS is FreeSWITCH's mean opinion score of the reception (rtp_audio_in_mos).
	MOS *float64 `parquet:"mos,optional"`
	// Quality is its quality percentage (rtp_audio_in_quality_percentage).
	Quality *float64 `parquet:"quality_pct,optional"`
}

// Value is a verdict's value: exactly one field is set, per its
// VerdictSpec's Kind.
type Value struct {
	Bool   *bool
	Int    *int64
	Float  *float64
	String *string
}

// Kind is a verdict column's type.
type Kind uint8

// Kinds.
const (
	KindBool Kind = iota + 1
	KindInt
	KindFloat
	KindString
)

// VerdictSpec declares one typed verdict column an app adds to the
// records of its calls (declared when the app registers).
type VerdictSpec struct {
	// Name is the column name (snake_case, unique per app).
	Name string
	Kind Kind
	// Doc says what the value means.
	Doc string
	// Check marks a bool verdict that is a media check: false is a
	// media failure (media_failed), a dimension apart from the call's
	// outcome: an answered, completed call can fail its media check.
	Check bool
}
