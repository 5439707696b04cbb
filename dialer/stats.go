package dialer

import (
	"fmt"
	"math"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/HdrHistogram/hdrhistogram-go"
)

const (
	tick     = 250 * time.Millisecond
	winTicks = 8 // windows span 2 s
	window   = winTicks * tick
)

// ring counts events over the last window, one bucket per tick.
type ring struct {
	b   [winTicks]uint64
	pos int
	cur uint64
}

func (r *ring) add(n uint64) { r.cur += n }

func (r *ring) next() {
	r.b[r.pos] = r.cur
	r.pos = (r.pos + 1) % winTicks
	r.cur = 0
}

func (r *ring) rate() float64 {
	var n uint64
	for _, x := range r.b {
		n += x
	}
	return float64(n) / window.Seconds()
}

// saturation detects a server that takes originates faster than it can
// set calls up. A real FreeSWITCH never answers -ERR when its CPU is the
// limit: extra originates queue on it, before their A leg exists, and
// the time to the A leg's CHANNEL_CREATE grows without bound (FreeSWITCH
// 1.10.12 on 2 cores, 2 s holds: p50 15 ms at 60 calls/s, 2.0 s at 90;
// the B leg's create and the answer stayed within a few ms of it). Only
// that step is watched: a far end that rings or answers late takes part
// in the rest, and a ringing far end is not an overloaded server. The
// signs, for a second at least, are a backlog of originates not yet taken
// on, a time to take them on (windowed mean, or the age of the oldest
// still waiting) far above the lowest seen, and a backlog that grows (or
// a latency so high that it need not). A short stall that the server
// catches up on is not saturation.
type saturation struct {
	n        int
	sum      time.Duration
	bn       [winTicks]int
	bsum     [winTicks]time.Duration
	backlog  [winTicks]int
	pos      int
	baseline time.Duration
	mean     time.Duration
	cps      float64 // completions per second over the window
	on       bool
	hits     int
	clear    int
	ever     bool
	firstAt  time.Time
	doneOn   uint64
	timeOn   time.Duration
	// peakQueue is the deepest the controller's event queue for this
	// server got; behind tells whether it ever passed ctrlBehind.
	peakQueue int
	behind    bool
	// lastQueue is the controller's queue at the previous tick: a queue
	// past ctrlBehind counts only when it still was one tick (250 ms)
	// before. A burst of events the server flushed at once clears within
	// a tick; a controller that lags does not.
	lastQueue int
}

func (s *saturation) done(lat time.Duration) { s.n++; s.sum += lat }

// ctrlBehind is the number of events waiting in the controller's own
// queue above which latency is the controller's doing, not the server's.
const ctrlBehind = 1000

func (s *saturation) tick(now time.Time, backlog int, oldest, threshold time.Duration, queued int) {
	s.peakQueue = max(s.peakQueue, queued)
	behind := queued > ctrlBehind && s.lastQueue > ctrlBehind
	s.lastQueue = queued
	s.behind = s.behind || behind
	s.bn[s.pos], s.bsum[s.pos] = s.n, s.sum
	last := s.n
	s.pos = (s.pos + 1) % winTicks // now the oldest bucket
	s.n, s.sum = 0, 0
	var n int
	var sum time.Duration
	for i := range s.bn {
		n += s.bn[i]
		sum += s.bsum[i]
	}
	s.mean = 0
	if n > 0 {
		s.mean = sum / time.Duration(n)
	}
	s.cps = float64(n) / window.Seconds()
	if n >= 20 && (s.baseline == 0 || s.mean < s.baseline) {
		s.baseline = s.mean
	}
	threshold = max(threshold, 5*s.baseline)
	// The backlog two seconds ago: a queueing server's backlog grows.
	before := s.backlog[s.pos]
	s.backlog[s.pos] = backlog
	growing := backlog > before+before/20
	slow := (n >= 3 && s.mean > threshold) || oldest > 2*threshold
	verySlow := (n >= 3 && s.mean > 4*threshold) || oldest > 8*threshold
	// When the controller's own event queue is deep, the results are
	// waiting here, not on the server: that is not the server's saturation.
	sig := backlog >= 5 && slow && (growing || verySlow) && !behind
	if sig {
		s.hits++
		s.clear = 0
	} else {
		s.clear++
		s.hits = 0
	}
	if !s.on && s.hits >= 4 { // 1 s
		s.on, s.ever = true, true
		if s.firstAt.IsZero() {
			s.firstAt = now
		}
	}
	if s.on && s.clear >= winTicks {
		s.on = false
	}
	if s.on && backlog >= 5 {
		// Only while work is queued: after the backlog drains the flag
		// lingers a moment, and those idle ticks say nothing of capacity.
		s.doneOn += uint64(last)
		s.timeOn += tick
	}
}

// capacity is the completion rate measured while saturated.
func (s *saturation) capacity() float64 {
	if s.timeOn <= 0 {
		return 0
	}
	return float64(s.doneOn) / s.timeOn.Seconds()
}

// ServerStats is one server's live view.
type ServerStats struct {
	Addr, Dest string
	// Active calls (slots held) and Backlog, originates sent without a
	// result yet.
	Active, Backlog           int
	Offered, Answered, Failed uint64
	// Down is true while the connection is lost; Lost once it has been
	// down for Config.ServerTimeout (its calls were given up).
	Down, Lost bool
	// SetupMean is the mean set-up latency over the last 2 s;
	// CompletedCPS the originate results per second over the last 2 s.
	SetupMean    time.Duration
	CompletedCPS float64
	// Saturated is true while the server queues originates; SaturatedCPS
	// is the rate it managed meanwhile.
	Saturated    bool
	SaturatedCPS float64
}

// Stats is a live snapshot of the dialer.
type Stats struct {
	State                     State
	Offered, Answered, Failed uint64
	Active, PeakActive        int
	// Rate is the target rate; OfferedCPS and AnsweredCPS are measured
	// over the last 2 s.
	Rate                    float64
	OfferedCPS, AnsweredCPS float64
	Limit                   int
	MaxOffered              uint64
	// Elapsed is the time since the first offer.
	Elapsed time.Duration
	// ETA is the time until the last call is offered when MaxOffered is
	// set and the dialer originates (-1 otherwise).
	ETA     time.Duration
	Servers []ServerStats
	// AllServersLost is true once every server has been unreachable for
	// Config.ServerTimeout (the dialer then stops).
	AllServersLost bool
}

// Stats returns a live snapshot.
func (o *Originator) Stats() Stats {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	st := Stats{
		State: o.state, Offered: o.offered, Answered: o.answered, Failed: o.failed,
		Active: o.active, PeakActive: o.peakActive, Rate: o.rate,
		OfferedCPS: o.winOffered.rate(), AnsweredCPS: o.winAnswered.rate(),
		Limit: o.limit, MaxOffered: o.maxOffered, ETA: -1, AllServersLost: o.allLost,
	}
	if o.firstOffer != 0 {
		st.Elapsed = o.since(now) - o.firstOffer
	}
	if o.state == Originating && o.maxOffered > 0 && o.offered < o.maxOffered {
		// Expected for Poisson arrivals; within the current segment.
		if due, ok := o.seg.dueAt(o.tr.next + float64(o.maxOffered-1-o.offered)); ok {
			st.ETA = max(due.Sub(now), 0)
		}
	}
	for _, s := range o.servers {
		st.Servers = append(st.Servers, ServerStats{
			Addr: s.addr, Dest: s.dest, Active: s.active, Backlog: s.pending,
			Offered: s.offered, Answered: s.answered, Failed: s.failed, Down: s.down, Lost: s.lost,
			SetupMean: s.sat.mean, CompletedCPS: s.sat.cps,
			Saturated: s.sat.on, SaturatedCPS: s.sat.capacity(),
		})
	}
	return st
}

func latencyOf(h *hdrhistogram.Histogram) summary.Latency {
	ms := func(v int64) float64 { return math.Round(float64(v)/10) / 100 }
	return summary.Latency{Count: uint64(h.TotalCount()), P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P99: ms(h.ValueAtQuantile(99)), Max: ms(h.Max())}
}

// Summary returns the run's outcome so far.
func (o *Originator) Summary() summary.Run {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	sm := summary.Run{
		ID: o.cfg.ID, State: o.state.String(), Offered: o.offered, Answered: o.answered, Failed: o.failed,
		FailedByCause: copyMap(o.byCause), TargetRate: o.rate, Limit: o.limit, MaxOffered: o.maxOffered,
		HoldS: o.duration.Seconds(), PeakActive: o.peakActive, LocalSetupLatency: latencyOf(o.setup),
		CallsByApp: map[string]uint64{},
		Completed:  o.completed, Dropped: o.dropped, Abandoned: o.abandoned,
		DroppedByCause: copyMap(o.droppedByCause),
		HoldErrorMs:    summary.HoldError{Latency: latencyOf(o.holdErr), Short: o.heldShort},
	}
	if n := o.holdErr.TotalCount(); n > 0 {
		sm.HoldErrorMs.Within50ms = math.Round(float64(o.heldWithin)/float64(n)*10000) / 10000
	}
	sm.OfferedRate = round2(offeredRate(o.offered, o.firstOffer, o.lastOffer))
	sm.AchievedRate = round2(achievedRate(o.answered, o.firstOffer, o.lastOffer, o.firstAnswer, o.lastAnswer))
	if o.firstOffer != 0 {
		end := o.lastEnd
		if o.active > 0 || end < o.firstOffer {
			end = o.since(now)
		}
		sm.DurationS = round2((end - o.firstOffer).Seconds())
	}
	sm.AllServersLost = o.allLost
	sm.ServerSettings = o.serverSettings()
	sm.Changes = append([]summary.Change(nil), o.changes...)
	sm.StartRate = o.startRate
	for _, st := range o.tr.stages {
		sm.Stages = append(sm.Stages, st.String())
	}
	sm.Seed, sm.Arrivals, sm.HoldDist = o.tr.seed, o.tr.arrivals.String(), o.tr.hold.String()
	for _, l := range o.lostServers {
		l.AfterS = round2(l.After.Seconds())
		sm.LostServers = append(sm.LostServers, l)
	}
	for _, g := range o.apps {
		sm.CallsByApp[g.label] = g.calls
	}
	for _, s := range o.servers {
		ss := summary.Server{
			Addr: s.addr, Dest: s.dest, Offered: s.offered, Answered: s.answered, Failed: s.failed,
			FailedByCause: copyMap(s.byCause), PeakActive: s.peakActive, PeakBacklog: s.peakBacklog,
			PeakQueued: s.peakQueued, LocalSetupLatency: latencyOf(s.setup), CreateMs: latencyOf(s.create), Saturated: s.sat.ever,
		}
		if s.sat.ever {
			ss.SaturatedAtCPS = round2(s.sat.capacity())
			if o.firstOffer != 0 {
				ss.SaturatedAfterS = round2((o.since(s.sat.firstAt) - o.firstOffer).Seconds())
			}
			sm.Saturation = append(sm.Saturation, fmt.Sprintf("server %s saturated at ~%.0f cps (originates queued before their A leg: up to %d, originate to A leg p99 %.0f ms)",
				s.addr, ss.SaturatedAtCPS, s.peakQueued, ss.CreateMs.P99))
		}
		ss.ControllerQueuePeak = s.sat.peakQueue
		if s.sat.behind {
			sm.Saturation = append(sm.Saturation, fmt.Sprintf("the controller fell behind on server %s's events (queue peaked at %d): its set-up latencies include that delay",
				s.addr, s.sat.peakQueue))
		}
		ss.SetupMs = ss.LocalSetupLatency
		sm.Servers = append(sm.Servers, ss)
	}
	sm.ControllerLimit = o.host.note()
	sm.SetupMs = sm.LocalSetupLatency
	return sm
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func copyMap(m map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Watermark is the earliest offer (pick) time of the calls still in
// flight, or now when none is: every call that ends from now on was
// offered at or after it, so per-second figures before it are final.
func (o *Originator) Watermark() time.Time {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	w := o.since(now)
	for _, c := range o.calls {
		w = min(w, c.picked)
	}
	return o.at(w)
}
