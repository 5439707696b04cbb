// Command genrun writes a synthetic load-test run to a directory with
// measure/store's Writer, so its files are what `switchio dial --out`
// writes: cdr.parquet, timeseries.parquet, sysstats.parquet, calls.csv
// and summary.json. It exists to time `switchio report` on a run as long
// as a real one (a one-hour run at 1,000 calls/s is 3.6 M records) without
// an hour of load.
//
// The calls are those of a dial against two servers, each placing its
// calls to the other (so invite and answer latencies cross two clocks,
// with measured offsets in the summary), TonePlay with a DTMF check:
// set-up latency around 60 ms with a slow stretch, 10% USER_BUSY, 3%
// NO_ANSWER, a few dropped calls and other causes, RTP figures on both
// legs, SIP call ids and statuses, verdicts. The writer flushes once per
// second of the run, as dial's writer does (its FlushInterval), so the
// merged files have the same row groups.
//
//	go run ./genrun -calls 3600000 -rate 1000 /tmp/run-1h
//	switchio report /tmp/run-1h
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

func main() {
	var g gen
	flag.IntVar(&g.calls, "calls", 3_600_000, "calls (records) to write")
	flag.Float64Var(&g.rate, "rate", 1000, "calls offered per second")
	flag.DurationVar(&g.hold, "hold", 30*time.Second, "hold time of answered calls")
	flag.Int64Var(&g.seed, "seed", 1, "random seed")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: genrun [flags] DIR")
		os.Exit(2)
	}
	start := time.Now()
	if err := g.write(flag.Arg(0)); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d records written to %s in %v", g.calls, flag.Arg(0), time.Since(start).Round(time.Millisecond))
}

// gen is a run to generate.
type gen struct {
	calls int
	rate  float64
	hold  time.Duration
	seed  int64
}

// servers are the run's two servers; each calls the other.
var servers = []string{"10.0.0.1:8021", "10.0.0.2:8021"}

// offsets are the servers' clocks against the controller's, in ms.
var offsets = map[string]float64{servers[0]: 0.42, servers[1]: -1.87}

var verdicts = []measure.VerdictSpec{
	{Name: "dtmf_ok", Kind: measure.KindBool, Check: true, Doc: "every digit sent was received in order"},
	{Name: "dtmf_missing", Kind: measure.KindInt, Doc: "digits sent and not received"},
	{Name: "dtmf_sent", Kind: measure.KindString, Doc: "the digits sent"},
}

var start = time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// onClock is local time t read on server srv's clock, in microseconds
// (the resolution of the server's event timestamps).
func onClock(t time.Time, srv string) time.Time {
	return t.Add(time.Duration(offsets[srv] * float64(time.Millisecond))).Truncate(time.Microsecond)
}

// rtp is one leg's media figures for a call answered for hold.
func rtp(rnd *rand.Rand, hold time.Duration) *measure.RTP {
	pk := hold.Milliseconds() / 20
	lost := int64(rnd.IntN(3))
	return &measure.RTP{InPackets: pk - lost, OutPackets: pk, InSkipped: lost, InFlaws: lost,
		JitterMinMs: ptr(rnd.Float64() * 0.2), JitterMaxMs: ptr(1 + rnd.Float64()*4),
		MOS: ptr(4.5 - float64(lost)*0.05), Quality: ptr(100 - float64(lost)*0.5)}
}

// write writes the run to dir.
func (g gen) write(dir string) error {
	w, err := store.Create(dir, store.Options{FlushInterval: -1, Verdicts: verdicts})
	if err != nil {
		return err
	}
	var werr error
	ts := measure.NewTimeSeries(func(s measure.Second) {
		if err := w.WriteSecond(&s); err != nil && werr == nil {
			werr = err
		}
	})
	ts.SetVerdicts(verdicts)
	agg := measure.NewAggregator(time.Time{})
	agg.SetVerdicts(verdicts)
	co := map[string]measure.ClockOffset{}
	for s, o := range offsets {
		co[s] = measure.ClockOffset{OffsetMs: o, Samples: uint64(g.calls)}
	}
	agg.SetClockOffsets(co)
	rnd := rand.New(rand.NewPCG(uint64(g.seed), 7))
	sm := summary.Run{ID: "genrun", State: "stopped", TargetRate: g.rate, StartRate: g.rate,
		Limit: int(g.rate * g.hold.Seconds() * 1.5), MaxOffered: uint64(g.calls), HoldS: g.hold.Seconds(),
		CallsByApp: map[string]uint64{"TonePlay": uint64(g.calls)}, FailedByCause: map[string]uint64{}, DroppedByCause: map[string]uint64{}}
	per := make([]summary.Server, len(servers))
	for i, s := range servers {
		per[i] = summary.Server{Addr: s, Dest: "sip:talk30@" + servers[1-i], FailedByCause: map[string]uint64{}}
	}
	var failed, active int64
	ends := newEndQueue()
	second := int64(-1)
	for i := range g.calls {
		at := start.Add(time.Duration(float64(i) / g.rate * float64(time.Second))).Add(time.Duration(rnd.IntN(200)) * time.Microsecond)
		if s := at.Unix(); s != second {
			// Once per second of the run, as dial: seal the parts and
			// emit the seconds no call in flight started in.
			if second >= 0 {
				if err := w.Flush(); err != nil {
					return err
				}
				ts.Advance(at.Add(-g.hold - 5*time.Second))
			}
			second = s
		}
		for ends.len() > 0 && !ends.min().After(at) {
			ends.pop()
			active--
		}
		si := i % len(servers)
		srv, callee := servers[si], servers[1-si]
		setup := time.Duration((45 + rnd.ExpFloat64()*15) * float64(time.Millisecond))
		if f := float64(i) / float64(g.calls); f > 0.6 && f < 0.7 {
			setup += time.Duration(math.Sin((f-0.6)*10*math.Pi) * 400 * float64(time.Millisecond))
		}
		launch := at
		reqOrig := launch.Add(time.Duration(30+rnd.IntN(200)) * time.Microsecond)
		create := reqOrig.Add(time.Duration(300+rnd.IntN(700)) * time.Microsecond)
		calleeCreate := create.Add(time.Duration(2+rnd.IntN(6)) * time.Millisecond)
		answer := create.Add(setup)
		calleeAnswer := answer.Add(-time.Duration(500+rnd.IntN(1500)) * time.Microsecond)
		localAnswer := answer.Add(time.Duration(200+rnd.IntN(800)) * time.Microsecond)
		active++
		r := measure.Record{CallID: fmt.Sprintf("%08x-6d1c-4b7e-9a2f-%012x", rnd.Uint32(), i), Seq: int64(i),
			Server: srv, CalleeServer: callee, App: "TonePlay", Destination: "sip:talk30@" + callee,
			Outcome: "completed", HangupBy: "switchio", HangupCause: "NORMAL_CLEARING",
			SIPCallID: fmt.Sprintf("%016x@%s", rnd.Uint64(), srv), SIPTermStatus: "200", Q850Cause: ptr(int32(16)),
			JobLaunch: launch, CallerReqOriginate: reqOrig,
			CallerCreate: onClock(create, srv), CallerOriginate: onClock(create.Add(200*time.Microsecond), srv),
			CallerRinging: onClock(create.Add(setup/3), srv), CallerAnswer: onClock(answer, srv),
			CalleeCreate: onClock(calleeCreate, callee), CalleeAnswer: onClock(calleeAnswer, callee),
			LocalAnswer: localAnswer.Truncate(time.Microsecond),
			HoldMs:      g.hold.Milliseconds(), ActiveSessions: active, Erlangs: float64(active) * 0.87}
		hold := g.hold
		var verdict map[string]measure.Value
		switch u := rnd.Float64(); {
		case u < 0.10:
			r.Outcome, r.HangupCause, r.SIPTermStatus, r.Q850Cause = "failed", "USER_BUSY", "486", ptr(int32(17))
		case u < 0.13:
			r.Outcome, r.HangupCause, r.SIPTermStatus, r.Q850Cause = "failed", "NO_ANSWER", "480", ptr(int32(19))
		case u < 0.132:
			r.Outcome, r.HangupCause, r.SIPTermStatus, r.Q850Cause = "failed", "NORMAL_TEMPORARY_FAILURE", "503", ptr(int32(41))
		case u < 0.1325:
			r.Outcome, r.HangupCause, r.SIPTermStatus, r.Q850Cause = "failed", "SWITCHIO_ORIGINATE_TIMEOUT", "", nil
		case u < 0.137:
			r.Outcome, r.HangupBy, r.HangupCause = "dropped", "far_end", "NORMAL_CLEARING"
			hold = time.Duration(rnd.Int64N(int64(g.hold)))
			sm.Dropped++
			sm.DroppedByCause[r.HangupCause]++
		default:
			sm.Completed++
		}
		s := &per[si]
		s.Offered++
		sm.Offered++
		if r.Outcome == "failed" {
			failed++
			end := create.Add(setup)
			r.CallerAnswer, r.CalleeAnswer, r.LocalAnswer = time.Time{}, time.Time{}, time.Time{}
			r.CallerHangup, r.CalleeHangup = onClock(end, srv), onClock(end, callee)
			r.LocalHangup = end.Add(500 * time.Microsecond).Truncate(time.Microsecond)
			r.BillSec, r.BillMsec = ptr(int64(0)), ptr(int64(0))
			sm.Failed++
			sm.FailedByCause[r.HangupCause]++
			s.Failed++
			s.FailedByCause[r.HangupCause]++
			ends.push(r.LocalHangup)
		} else {
			end := answer.Add(hold)
			r.CallerHangup, r.CalleeHangup = onClock(end, srv), onClock(end.Add(time.Millisecond), callee)
			r.LocalHangup = localAnswer.Add(hold).Truncate(time.Microsecond)
			r.BillSec, r.BillMsec = ptr(int64(hold/time.Second)), ptr(hold.Milliseconds())
			r.ProgressSec, r.ProgressMediaSec = ptr(int64(0)), ptr(int64(0))
			r.CallerRTP, r.CalleeRTP = rtp(rnd, hold), rtp(rnd, hold)
			missing := int64(0)
			if rnd.IntN(400) == 0 {
				missing = 1 + rnd.Int64N(3)
			}
			verdict = map[string]measure.Value{"dtmf_ok": {Bool: ptr(missing == 0)}, "dtmf_missing": {Int: ptr(missing)}, "dtmf_sent": {String: ptr("1234#")}}
			sm.Answered++
			s.Answered++
			ends.push(r.LocalHangup)
		}
		r.Verdicts = verdict
		r.FailedCalls = failed
		if err := w.WriteRecord(&r); err != nil {
			return err
		}
		agg.Add(r)
		ts.Add(r)
		if werr != nil {
			return werr
		}
	}
	ts.Close()
	end := start.Add(time.Duration(float64(g.calls)/g.rate*float64(time.Second)) + g.hold + time.Second)
	if err := g.sysStats(w, rnd, end); err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	ms := agg.Summary()
	sm.Metrics = &ms
	sm.Servers = per
	sm.PeakActive = int(g.rate * g.hold.Seconds())
	sm.OfferedRate, sm.AchievedRate = g.rate, g.rate
	sm.DurationS = end.Sub(start).Seconds()
	if err := w.WriteSummary(sm); err != nil {
		return err
	}
	return w.Close()
}

// sysStats writes a sample per second of the controller and of each
// server, as dial's samplers do.
func (g gen) sysStats(w *store.Writer, rnd *rand.Rand, end time.Time) error {
	total := int64(16 << 30)
	for t := start; t.Before(end); t = t.Add(time.Second) {
		c := &measure.SysStat{Time: t, Source: measure.SourceController, CPUPct: ptr(30 + 10*rnd.Float64()),
			CPUUserPct: ptr(20 + 5*rnd.Float64()), CPUSystemPct: ptr(8 + 3*rnd.Float64()), CPUIdlePct: ptr(60 + 5*rnd.Float64()),
			CPUIowaitPct: ptr(rnd.Float64()), MemUsedBytes: ptr(int64(6<<30) + rnd.Int64N(1<<28)), MemTotalBytes: ptr(total),
			Load1: ptr(1 + rnd.Float64()), Load5: ptr(1.2), Load15: ptr(1.1),
			ProcCPUPct: ptr(40 + 20*rnd.Float64()), ProcRSSBytes: ptr(int64(100<<20) + rnd.Int64N(1<<20))}
		if err := w.WriteSysStat(c); err != nil {
			return err
		}
		for _, srv := range servers {
			s := &measure.SysStat{Time: t.Add(time.Duration(rnd.IntN(50)) * time.Millisecond), Source: srv,
				IdleCPUPct: ptr(55 - 10*rnd.Float64()), Sessions: ptr(int64(2 * g.rate * g.hold.Seconds() / float64(len(servers)))),
				ReplyMs: ptr(1.5 + rnd.Float64()), UptimeMs: ptr(t.Sub(start).Milliseconds() + 86_400_000),
				SessionsSinceStartup: ptr(int64(t.Sub(start).Seconds() * g.rate))}
			if err := w.WriteSysStat(s); err != nil {
				return err
			}
		}
	}
	return nil
}
