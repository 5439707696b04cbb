package report

import (
	"math"
	"time"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

// noTime is a call's time that is unknown (null in the CDR).
const noTime = math.MinInt64

// call is what the report reads of one call record: the columns of
// callColumns. Times are microseconds since the Unix epoch (the CDR's
// resolution), noTime when unknown.
type call struct {
	seq, failedCalls, activeSessions int64
	erlangs                          float64
	failed                           bool
	server, calleeServer             string

	jobLaunch, reqOriginate   int64 // local clock
	callerCreate, callerAnswr int64 // the caller's clock
	calleeCreate, calleeAnswr int64 // the callee's clock
	localAnswer               int64 // local clock
}

// callColumns are the CDR columns the report reads, in the order
// readCalls takes them from a batch.
var callColumns = []string{
	"seq", "failed_calls", "active_sessions", "erlangs", "outcome", "server", "callee_server",
	"job_launch", "caller_req_originate", "caller_create", "caller_answer", "callee_create", "callee_answer", "local_answer",
}

// readCalls adds every call record of the run, reading only the columns
// the report needs, a row group at a time.
func (c *collector) readCalls(run *store.Run) error {
	var k call
	return run.Columns(store.CDRTable, callColumns, func(b *store.Batch) error {
		col := b.Columns
		seq, failedCalls, active, erl := col[0].Int64, col[1].Int64, col[2].Int64, col[3].Double
		outcome, server, callee := col[4].String, col[5].String, &col[6]
		times := col[7:]
		at := func(t *store.Column, i int) int64 {
			if t.IsNull(i) {
				return noTime
			}
			return t.Int64[i]
		}
		for i := range b.Rows {
			k = call{seq: seq[i], failedCalls: failedCalls[i], activeSessions: active[i], erlangs: erl[i],
				failed: outcome[i] == "failed", server: server[i], calleeServer: callee.String[i],
				jobLaunch: at(&times[0], i), reqOriginate: at(&times[1], i),
				callerCreate: at(&times[2], i), callerAnswr: at(&times[3], i),
				calleeCreate: at(&times[4], i), calleeAnswr: at(&times[5], i),
				localAnswer: at(&times[6], i)}
			c.call(&k)
		}
		return nil
	})
}

// micros is t in microseconds since the Unix epoch, noTime when zero.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixMicro()
}

// record adds one call record (read whole, e.g. in memory; the CDR's
// times have microseconds).
func (c *collector) record(r *measure.Record) {
	c.call(&call{seq: r.Seq, failedCalls: r.FailedCalls, activeSessions: r.ActiveSessions, erlangs: r.Erlangs,
		failed: r.Outcome == "failed", server: r.Server, calleeServer: r.CalleeServer,
		jobLaunch: micros(r.JobLaunch), reqOriginate: micros(r.CallerReqOriginate),
		callerCreate: micros(r.CallerCreate), callerAnswr: micros(r.CallerAnswer),
		calleeCreate: micros(r.CalleeCreate), calleeAnswr: micros(r.CalleeAnswer),
		localAnswer: micros(r.LocalAnswer)})
}

// span is to - from, two known times in microseconds.
func span(from, to int64) time.Duration { return time.Duration(to-from) * time.Microsecond }

// call adds one call.
func (c *collector) call(r *call) {
	c.records++
	answered := !r.failed
	nan := math.NaN()
	setup, invite, answer, orig := nan, nan, nan, nan
	if answered && r.callerAnswr != noTime && r.callerCreate != noTime && r.callerAnswr >= r.callerCreate {
		d := span(r.callerCreate, r.callerAnswr)
		setup = ms(d)
		_ = c.setupHist.RecordValue(max(d.Microseconds(), 1))
	}
	if d, ok := c.across(r, r.callerCreate, r.calleeCreate); ok {
		invite = ms(d)
	}
	if d, ok := c.across(r, r.calleeAnswr, r.callerAnswr); ok {
		answer = ms(d)
	}
	if r.jobLaunch != noTime && r.reqOriginate != noTime {
		orig = ms(span(r.jobLaunch, r.reqOriginate))
	}
	ib := c.byIndex
	ib.add(r.seq, ixSetup, setup)
	ib.add(r.seq, ixInvite, invite)
	ib.add(r.seq, ixAnswer, answer)
	ib.add(r.seq, ixOriginate, orig)
	ib.add(r.seq, ixActive, float64(r.activeSessions))
	ib.add(r.seq, ixErlangs, r.erlangs)
	// FailedCalls counts the failures when the record was written, at
	// the call's end: records come in the order calls ended, which is
	// not the order they were offered (a failed call ends before the
	// answered ones offered earlier). Over the offer index the count
	// would saw-tooth; it is kept over the order of the ends (this is
	// the c.records-th call to end), where it only rises.
	ib.add(c.records-1, ixFailed, float64(r.failedCalls))
	if answered && r.localAnswer != noTime {
		byS := c.perServer[r.server]
		if byS == nil {
			byS = map[int64]*serverSecond{}
			c.perServer[r.server] = byS
		}
		sec := floorDiv(r.localAnswer, 1e6)
		ss := byS[sec]
		if ss == nil {
			ss = &serverSecond{}
			byS[sec] = ss
		}
		ss.answered++
		if !math.IsNaN(setup) {
			ss.setupSum += setup
			ss.setupN++
		}
	}
}

// floorDiv is a/b rounded down (time.Time.Unix of a time before 1970
// too).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// across is to - from for times on the caller's and the callee's
// clocks (measure.AcrossServers: false when the offsets are unknown).
func (c *collector) across(r *call, from, to int64) (time.Duration, bool) {
	if from == noTime || to == noTime {
		return 0, false
	}
	return measure.AcrossServers(c.offsets, r.server, r.calleeServer, span(from, to))
}
