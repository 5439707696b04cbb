package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
	"github.com/switchio/switchio/measure/threshold"
)

// genRun is a synthetic run: calls offered at rate per second to servers
// for a hold, a share failing with USER_BUSY or NO_ANSWER, set-up latency
// around 60 ms that climbs in the last fifth of the run, and system
// statistics every second.
type genRun struct {
	calls   int
	rate    float64
	servers int
	hold    time.Duration
	// noSummary leaves summary.json out (a killed run's directory).
	noSummary bool
	// verdicts gives answered calls a DTMF check, failed in 1 in 50.
	verdicts bool
	// crossed sends each call to the next server (its B leg's clock is
	// another's: the summary has their offsets).
	crossed bool
	// partRows is the writer's PartRows (0: the default): smaller parts
	// give several row groups.
	partRows int
}

// genOffset is server i's clock offset in a crossed genRun, in ms.
func genOffset(i int) float64 { return 0.4 - 1.3*float64(i) }

// genVerdicts are the verdict columns of a genRun with verdicts.
var genVerdicts = []measure.VerdictSpec{
	{Name: "dtmf_ok", Kind: measure.KindBool, Check: true},
	{Name: "dtmf_missing", Kind: measure.KindInt},
}

var genStart = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// write writes the run to dir with measure/store's Writer, and returns
// its summary.
func (g genRun) write(tb testing.TB, dir string) summary.Run {
	tb.Helper()
	var specs []measure.VerdictSpec
	if g.verdicts {
		specs = genVerdicts
	}
	w, err := store.Create(dir, store.Options{FlushInterval: -1, Verdicts: specs, PartRows: g.partRows})
	if err != nil {
		tb.Fatal(err)
	}
	ts := measure.NewTimeSeries(func(s measure.Second) {
		if err := w.WriteSecond(&s); err != nil {
			tb.Fatal(err)
		}
	})
	agg := measure.NewAggregator(time.Time{})
	agg.SetVerdicts(specs)
	if g.crossed {
		offsets := map[string]measure.ClockOffset{}
		for i := range g.servers {
			offsets[fmt.Sprintf("10.0.0.%d:8021", 1+i)] = measure.ClockOffset{OffsetMs: genOffset(i), Samples: 10}
		}
		agg.SetClockOffsets(offsets)
	}
	ts.SetVerdicts(specs)
	rnd := rand.New(rand.NewPCG(1, 2))
	srv := func(i int) string { return fmt.Sprintf("10.0.0.%d:8021", 1+i%g.servers) }
	sm := summary.Run{ID: "gen", State: "stopped", TargetRate: g.rate, Limit: int(g.rate * g.hold.Seconds() * 2),
		MaxOffered: uint64(g.calls), HoldS: g.hold.Seconds(), CallsByApp: map[string]uint64{"TonePlay": uint64(g.calls)},
		FailedByCause: map[string]uint64{}, DroppedByCause: map[string]uint64{}}
	per := make([]summary.Server, g.servers)
	for i := range per {
		per[i] = summary.Server{Addr: srv(i), Dest: "9999@" + srv(i), FailedByCause: map[string]uint64{}}
	}
	var failed int64
	for i := range g.calls {
		at := genStart.Add(time.Duration(float64(i) / g.rate * float64(time.Second)))
		setup := time.Duration((40 + rnd.ExpFloat64()*20) * float64(time.Millisecond))
		if i > g.calls*4/5 {
			setup += time.Duration(float64(i-g.calls*4/5) / float64(g.calls) * 2 * float64(time.Second))
		}
		r := measure.Record{CallID: fmt.Sprintf("call-%d", i), Seq: int64(i), Server: srv(i), App: "TonePlay",
			Outcome: "completed", HangupBy: "switchio", HangupCause: "NORMAL_CLEARING",
			JobLaunch: at, CallerReqOriginate: at.Add(50 * time.Microsecond), CallerCreate: at.Add(time.Millisecond),
			CallerRinging: at.Add(setup / 2), CalleeCreate: at.Add(3 * time.Millisecond),
			CalleeAnswer: at.Add(setup - time.Millisecond), CallerAnswer: at.Add(setup), LocalAnswer: at.Add(setup + time.Millisecond),
			HoldMs: g.hold.Milliseconds(), ActiveSessions: int64(math.Min(float64(i), g.rate*g.hold.Seconds())),
			Erlangs: math.Min(float64(i), g.rate*g.hold.Seconds()) * 0.8}
		if g.crossed {
			// The B leg on the next server, its times on its clock.
			r.CalleeServer = srv(i + 1)
			shift := time.Duration((genOffset((i+1)%g.servers)-genOffset(i%g.servers))*float64(time.Millisecond)) + time.Duration(rnd.IntN(900))*time.Microsecond
			r.CalleeCreate, r.CalleeAnswer = r.CalleeCreate.Add(shift), r.CalleeAnswer.Add(shift)
		}
		r.CallerHangup = r.CallerAnswer.Add(g.hold)
		r.LocalHangup = r.LocalAnswer.Add(g.hold)
		r.BillMsec = ptr(g.hold.Milliseconds() + int64(rnd.IntN(20)))
		s := &per[i%g.servers]
		s.Offered++
		switch u := rnd.Float64(); {
		case u < 0.1:
			r.Outcome, r.HangupCause = "failed", "USER_BUSY"
		case u < 0.13:
			r.Outcome, r.HangupCause = "failed", "NO_ANSWER"
		case u < 0.135:
			r.Outcome, r.HangupCause, r.HangupBy = "dropped", "NORMAL_CLEARING", "far_end"
			r.LocalHangup = r.LocalAnswer.Add(g.hold / 2)
			r.CallerHangup = r.CallerAnswer.Add(g.hold / 2)
			sm.Dropped++
			sm.DroppedByCause[r.HangupCause]++
		default:
			sm.Completed++
		}
		if r.Outcome == "failed" {
			failed++
			r.CallerAnswer, r.CalleeAnswer, r.LocalAnswer, r.BillMsec = time.Time{}, time.Time{}, time.Time{}, nil
			r.CallerHangup = at.Add(setup)
			r.LocalHangup = r.CallerHangup
			sm.Failed++
			sm.FailedByCause[r.HangupCause]++
			s.Failed++
			s.FailedByCause[r.HangupCause]++
		} else {
			sm.Answered++
			s.Answered++
			if g.verdicts {
				missing := int64(0)
				if i%50 == 7 {
					missing = 2
				}
				r.Verdicts = map[string]measure.Value{"dtmf_ok": {Bool: ptr(missing == 0)}, "dtmf_missing": {Int: ptr(missing)}}
			}
		}
		r.FailedCalls = failed
		sm.Offered++
		if err := w.WriteRecord(&r); err != nil {
			tb.Fatal(err)
		}
		agg.Add(r)
		ts.Add(r)
		if i%1000 == 999 {
			ts.Advance(at.Add(-g.hold - 3*time.Second))
		}
	}
	ts.Close()
	end := genStart.Add(time.Duration(float64(g.calls)/g.rate*float64(time.Second)) + g.hold)
	for t := genStart; t.Before(end); t = t.Add(time.Second) {
		c := &measure.SysStat{Time: t, Source: measure.SourceController, CPUPct: ptr(20 + 10*rnd.Float64()), ProcCPUPct: ptr(50 + 20*rnd.Float64())}
		if err := w.WriteSysStat(c); err != nil {
			tb.Fatal(err)
		}
		for i := range g.servers {
			s := &measure.SysStat{Time: t, Source: srv(i), IdleCPUPct: ptr(60 - 20*rnd.Float64()), Sessions: ptr(int64(2 * g.rate * g.hold.Seconds() / float64(g.servers))),
				ReplyMs: ptr(2 + rnd.Float64())}
			if err := w.WriteSysStat(s); err != nil {
				tb.Fatal(err)
			}
		}
	}
	sm.Servers = per
	sm.PeakActive = int(g.rate * g.hold.Seconds())
	sm.HoldErrorMs.Within50ms = 1
	sm.OfferedRate, sm.AchievedRate = g.rate, g.rate*0.87
	sm.DurationS = end.Sub(genStart).Seconds()
	ms := agg.Summary()
	sm.Metrics = &ms
	sm.Changes = []summary.Change{{AtS: 12.5, Setting: "rate", Value: "80"}}
	var ths threshold.List
	for _, e := range []string{"asr>=0.99", "p99(call_setup_latency)<10s"} {
		if err := ths.Set(e); err != nil {
			tb.Fatal(err)
		}
	}
	sm.Thresholds = ths.Evaluate(&ms)
	if !g.noSummary {
		if err := w.WriteSummary(sm); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return sm
}
