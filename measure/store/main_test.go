package store

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/measure"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	if dir := os.Getenv(closeMemChildEnv); dir != "" {
		os.Exit(closeMemChild(dir))
	}
	goleak.VerifyTestMain(m)
}

// testVerdicts declares one verdict of each kind.
var testVerdicts = []measure.VerdictSpec{
	{Name: "tone_ok", Kind: measure.KindBool, Doc: "the tone was heard"},
	{Name: "tones", Kind: measure.KindInt, Doc: "tones detected"},
	{Name: "freq_hz", Kind: measure.KindFloat, Doc: "frequency heard"},
	{Name: "note", Kind: measure.KindString, Doc: "free text"},
}

func ptr[T any](v T) *T { return &v }

// t0 is the time the test records start at (UTC, whole microseconds).
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// testRecords covers full and empty records: nil RTP, nil pointers, zero
// times, verdicts of each kind (zero values included, which are not null),
// a verdict set to no value (null) and non-ASCII strings.
func testRecords() []measure.Record {
	full := measure.Record{
		CallID: "6f1c2a5e-0d7b-4b8e-9a31-2f5c8d9e0a11", Seq: 0,
		Server: "10.0.0.1:8021", CalleeServer: "10.0.0.2:8021",
		App: "TonePlay/freq=440", Destination: "sip:Ωμέγα@例え.jp",
		Outcome: "completed", HangupBy: "switchio", HangupCause: "NORMAL_CLEARING",
		SIPCallID: "a84b4c76e66710@pc33.atlanta.com", SIPTermStatus: "200", Q850Cause: ptr[int32](16),
		JobLaunch: t0, CallerReqOriginate: t0.Add(3 * time.Microsecond),
		CallerCreate: t0.Add(2 * time.Millisecond), CallerOriginate: t0.Add(3 * time.Millisecond),
		CallerRinging: t0.Add(50 * time.Millisecond), CallerEarlyMedia: t0.Add(60 * time.Millisecond),
		CallerAnswer: t0.Add(time.Second), CallerHangup: t0.Add(11 * time.Second),
		CalleeCreate: t0.Add(4 * time.Millisecond), CalleeAnswer: t0.Add(time.Second - time.Microsecond),
		CalleeHangup: t0.Add(11 * time.Second), LocalAnswer: t0.Add(1001 * time.Millisecond),
		LocalHangup: t0.Add(11001 * time.Millisecond),
		FailedCalls: 0, ActiveSessions: 12, Erlangs: 11.5, HoldMs: 10000,
		BillSec: ptr[int64](10), BillMsec: ptr[int64](10000), ProgressSec: ptr[int64](0), ProgressMediaSec: ptr[int64](0),
		CallerRTP: &measure.RTP{InPackets: 500, OutPackets: 501, InSkipped: 1, InFlaws: 2,
			JitterMinMs: ptr(0.0), JitterMaxMs: ptr(3.25), MOS: ptr(4.5), Quality: ptr(100.0)},
		CalleeRTP: &measure.RTP{InPackets: 501, OutPackets: 500, JitterMinMs: ptr(0.5), JitterMaxMs: ptr(1.5), MOS: ptr(4.4), Quality: ptr(99.5)},
		Verdicts: map[string]measure.Value{
			"tone_ok": {Bool: ptr(true)}, "tones": {Int: ptr[int64](3)},
			"freq_hz": {Float: ptr(440.5)}, "note": {String: ptr("ton entendu — ✓")},
		},
	}
	failed := measure.Record{
		CallID: "7a2d3b6f-1e8c-4c9f-8b42-3a6d9e0f1b22", Seq: 1, Server: "10.0.0.1:8021",
		App: "TonePlay/freq=440", Outcome: "failed", HangupCause: "USER_BUSY",
		Q850Cause: ptr[int32](17), JobLaunch: t0.Add(time.Millisecond), FailedCalls: 1,
	}
	noMedia := measure.Record{
		CallID: "8b3e4c70-2f9d-4da0-9c53-4b7e0f1a2c33", Seq: 2, Server: "[::1]:8021",
		App: "Bert", Outcome: "dropped", HangupBy: "far_end", HangupCause: "SWITCHIO_LOST",
		CallerAnswer: t0.Add(2 * time.Second), FailedCalls: 1, Erlangs: 0.25,
		CallerRTP: &measure.RTP{OutPackets: 40}, // no packet received: no MOS
		Verdicts: map[string]measure.Value{
			"tone_ok": {Bool: ptr(false)}, "tones": {Int: ptr[int64](0)},
			"freq_hz": {Float: ptr(0.0)}, "note": {String: ptr("")},
		},
	}
	partial := measure.Record{
		CallID: "9c4f5d81-3a0e-4eb1-8d64-5c8f1a2b3d44", Seq: 3, Server: "10.0.0.1:8021",
		App: "TonePlay/freq=440", Outcome: "abandoned", HangupCause: "SWITCHIO_ABANDONED",
		Destination: "\"Bob, Jr.\" <sip:bob@example.com>\nline two",
		CalleeRTP:   &measure.RTP{InPackets: 1, MOS: ptr(1.0)},
		Verdicts:    map[string]measure.Value{"tones": {Int: ptr[int64](-7)}, "note": {}},
	}
	empty := measure.Record{CallID: "", Outcome: "failed"}
	return []measure.Record{full, failed, noMedia, partial, empty}
}

// readBack is what a record reads back as: a verdict with no value is
// null, so absent, and no verdict is a nil map.
func readBack(r measure.Record) measure.Record {
	vs := r.Verdicts
	r.Verdicts = nil
	for name, v := range vs {
		if v == (measure.Value{}) {
			continue
		}
		if r.Verdicts == nil {
			r.Verdicts = make(map[string]measure.Value)
		}
		r.Verdicts[name] = v
	}
	return r
}

// genRecord is a realistic record number i, for volume tests and the
// benchmark.
func genRecord(i int) measure.Record {
	at := t0.Add(time.Duration(i) * 10 * time.Millisecond)
	r := measure.Record{
		CallID: fmt.Sprintf("%08x-0d7b-4b8e-9a31-%012x", i, i*7919), Seq: int64(i),
		Server: fmt.Sprintf("10.0.0.%d:8021", 1+i%4), App: "TonePlay/freq=440",
		Destination: fmt.Sprintf("sip:%d@10.0.1.1", 1000+i%100),
		Outcome:     "completed", HangupBy: "switchio", HangupCause: "NORMAL_CLEARING",
		SIPCallID: fmt.Sprintf("%x@10.0.0.1", i*104729), SIPTermStatus: "200", Q850Cause: ptr[int32](16),
		JobLaunch: at, CallerReqOriginate: at.Add(37 * time.Microsecond),
		CallerCreate: at.Add(1200 * time.Microsecond), CallerOriginate: at.Add(1500 * time.Microsecond),
		CallerRinging: at.Add(40 * time.Millisecond), CallerAnswer: at.Add(80 * time.Millisecond),
		CallerHangup: at.Add(10080 * time.Millisecond), CalleeCreate: at.Add(3 * time.Millisecond),
		CalleeAnswer: at.Add(79 * time.Millisecond), CalleeHangup: at.Add(10081 * time.Millisecond),
		LocalAnswer: at.Add(81 * time.Millisecond), LocalHangup: at.Add(10082 * time.Millisecond),
		FailedCalls: int64(i / 100), ActiveSessions: int64(900 + i%200), Erlangs: float64(900+i%200) - 0.5,
		HoldMs: 10000, BillSec: ptr[int64](10), BillMsec: ptr(int64(10000 + i%7)),
		ProgressSec: ptr[int64](0), ProgressMediaSec: ptr[int64](0),
		CallerRTP: &measure.RTP{InPackets: int64(500 + i%3), OutPackets: 500, JitterMinMs: ptr(0.0),
			JitterMaxMs: ptr(float64(i%50) / 10), MOS: ptr(4.5 - float64(i%5)/10), Quality: ptr(100.0)},
		CalleeRTP: &measure.RTP{InPackets: 500, OutPackets: int64(500 + i%3), JitterMinMs: ptr(0.0),
			JitterMaxMs: ptr(float64(i%30) / 10), MOS: ptr(4.5), Quality: ptr(100.0)},
		Verdicts: map[string]measure.Value{
			"tone_ok": {Bool: ptr(i%10 != 0)}, "tones": {Int: ptr(int64(i % 4))},
			"freq_hz": {Float: ptr(440 + float64(i%3))},
		},
	}
	if i%10 == 9 {
		r.Outcome, r.HangupCause, r.Q850Cause = "failed", "USER_BUSY", ptr[int32](17)
		r.CallerAnswer, r.CallerHangup, r.CalleeAnswer, r.LocalAnswer = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		r.CallerRTP, r.CalleeRTP, r.BillSec, r.BillMsec = nil, nil, nil, nil
		r.Verdicts = map[string]measure.Value{"note": {String: ptr("busy")}}
	}
	return r
}

// genSecond is the time series row of second i.
func genSecond(i int) measure.Second {
	s := measure.Second{
		Second: t0.Truncate(time.Second).Add(time.Duration(i) * time.Second), Offered: 100, Answered: 90,
		Failed: 10, Completed: 88, Dropped: 1, Abandoned: 1, Active: 1000, Erlangs: 999.5,
	}
	if i%3 != 0 {
		s.SetupP50Ms, s.SetupP90Ms, s.SetupP99Ms, s.SetupMaxMs = ptr(80.5), ptr(95.0), ptr(120.0), ptr(301.25)
		s.FailedByCause = map[string]int64{"USER_BUSY": 7, "NO_ANSWER": 3}
	}
	return s
}

// genSysStats are the samples of second i: the controller's, a server's
// (each with the other's fields null) and a failed one.
func genSysStats(i int) []measure.SysStat {
	at := t0.Add(time.Duration(i) * time.Second)
	return []measure.SysStat{{
		Time: at, Source: measure.SourceController,
		CPUPct: ptr(35.5), CPUUserPct: ptr(25.0), CPUSystemPct: ptr(10.5), CPUIdlePct: ptr(64.5), CPUIowaitPct: ptr(0.0),
		MemUsedBytes: ptr[int64](3 << 30), MemTotalBytes: ptr[int64](8 << 30),
		Load1: ptr(1.5), Load5: ptr(1.25), Load15: ptr(1.0), ProcCPUPct: ptr(120.0), ProcRSSBytes: ptr[int64](80 << 20),
	}, {
		Time: at, Source: "10.0.0.1:8021", ReplyMs: ptr(1.25), UptimeMs: ptr(int64(3600000 + i*1000)),
		Sessions: ptr(int64(1000 + i)), SessionsPeak: ptr[int64](1100), SessionsPerSec: ptr[int64](100),
		SessionsMax: ptr[int64](5000), IdleCPUPct: ptr(71.5), MinIdleCPUPct: ptr(0.0),
	}, {
		Time: at, Source: "[2001:db8::2]:8021", Error: "status: no reply — délai dépassé",
	}}
}
