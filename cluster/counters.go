package cluster

import (
	"sync"
	"sync/atomic"
)

// Counters is a snapshot of a client's (or, summed, a pool's) activity.
type Counters struct {
	// Events is the number of events received.
	Events uint64
	// SessionsActive is the number of live channels tracked.
	SessionsActive int64
	// SessionsTotal counts every channel seen.
	SessionsTotal uint64
	// CallsDone counts calls whose last leg was destroyed.
	CallsDone uint64
	// Jobs and JobsFailed count the background jobs this client started and
	// those that failed (-ERR or -USAGE, or lost with the connection); jobs
	// of other connections to the server are not counted.
	Jobs, JobsFailed uint64
	// Failed counts failed sessions: never answered, or ended with a cause
	// other than NORMAL_CLEARING.
	Failed uint64
	// HangupCauses counts destroyed sessions by hang-up cause.
	HangupCauses map[string]uint64
	// FailedByCause counts failed sessions by hang-up cause.
	FailedByCause map[string]uint64
	// SessionsPerApp counts sessions by app id.
	//
	// The keys of these three maps come from the server's events; each map
	// holds at most MaxCounterKeys of them, and counts the rest under
	// OtherKey, so a misbehaving peer cannot grow them without bound.
	SessionsPerApp map[string]uint64
	// Unrouted counts the inbound sessions whose app id no app loaded on
	// the client serves (each also logged: the first of an id at Info,
	// the others at Debug), and UnroutedPerApp counts them by that app id
	// (bounded as the maps above). Such a call is left as the dialplan put
	// it, parked until its caller hangs up: a far end whose apps the
	// calls do not name (see DefaultAppIDHeaders) shows here.
	Unrouted       uint64
	UnroutedPerApp map[string]uint64
	// AppPanics and FlowErrors count app failures (each also logged).
	AppPanics, FlowErrors uint64
	// Disconnects and Reconnects count connection losses and recoveries.
	Disconnects, Reconnects uint64
	// Queued is the number of queued commands (Session.Queue) waiting for
	// a sender now, QueueHighWater the largest it has been (a pool's is the
	// largest of its servers'), and QueueFull counts the commands refused
	// with ErrQueueFull (see Config.QueueDepth).
	Queued, QueueHighWater int64
	QueueFull              uint64
	// CommandsFailed counts queued commands that failed once sent (each
	// also logged), not those refused because their call had already
	// ended.
	CommandsFailed uint64
	// EventsDropped counts events an EventStream could not buffer because
	// its reader fell Config.EventBuffer events behind (the reader sees
	// ErrEventsDropped where they were).
	EventsDropped uint64
}

// Add sums o into c (QueueHighWater: the larger of the two).
func (c *Counters) Add(o Counters) {
	c.Events += o.Events
	c.SessionsActive += o.SessionsActive
	c.SessionsTotal += o.SessionsTotal
	c.CallsDone += o.CallsDone
	c.Jobs += o.Jobs
	c.JobsFailed += o.JobsFailed
	c.Failed += o.Failed
	c.AppPanics += o.AppPanics
	c.FlowErrors += o.FlowErrors
	c.Disconnects += o.Disconnects
	c.Reconnects += o.Reconnects
	c.Queued += o.Queued
	c.QueueHighWater = max(c.QueueHighWater, o.QueueHighWater)
	c.QueueFull += o.QueueFull
	c.CommandsFailed += o.CommandsFailed
	c.EventsDropped += o.EventsDropped
	c.HangupCauses = addMap(c.HangupCauses, o.HangupCauses)
	c.FailedByCause = addMap(c.FailedByCause, o.FailedByCause)
	c.SessionsPerApp = addMap(c.SessionsPerApp, o.SessionsPerApp)
	c.Unrouted += o.Unrouted
	c.UnroutedPerApp = addMap(c.UnroutedPerApp, o.UnroutedPerApp)
}

func addMap(dst, src map[string]uint64) map[string]uint64 {
	if dst == nil {
		dst = map[string]uint64{}
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// MaxCounterKeys bounds the distinct keys of each per-cause and per-app
// counter map; OtherKey collects the counts past it.
const MaxCounterKeys = 1024

// OtherKey is the counter key for causes and app ids past MaxCounterKeys.
const OtherKey = "(other)"

// incKey increments m[k], or m[OtherKey] once m holds MaxCounterKeys keys
// other than k; it returns the key counted.
func incKey(m map[string]uint64, k string) string {
	if _, ok := m[k]; !ok && len(m) >= MaxCounterKeys {
		k = OtherKey
	}
	m[k]++
	return k
}

type counters struct {
	events, sessionsTotal, callsDone, jobs, jobsFailed atomic.Uint64
	failed, appPanics, flowErrors                      atomic.Uint64
	disconnects, reconnects, commandsFailed            atomic.Uint64
	eventsDropped                                      atomic.Uint64
	sessionsActive                                     atomic.Int64

	mu            sync.Mutex
	causes        map[string]uint64
	failedByCause map[string]uint64
	perApp        map[string]uint64
	unroutedByApp map[string]uint64
	unroutedTotal uint64
	failedRecent  map[string][]string
}

func (c *counters) init() {
	c.causes = map[string]uint64{}
	c.failedByCause = map[string]uint64{}
	c.perApp = map[string]uint64{}
	c.unroutedByApp = map[string]uint64{}
	c.failedRecent = map[string][]string{}
}

func (c *counters) perAppInc(id string) {
	c.mu.Lock()
	incKey(c.perApp, id)
	c.mu.Unlock()
}

// unrouted counts an unrouted session of app id id; it reports whether
// it is the first of that id (the first counted under OtherKey too).
func (c *counters) unrouted(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unroutedTotal++
	k := incKey(c.unroutedByApp, id)
	return c.unroutedByApp[k] == 1
}

func (c *counters) hangup(cause string, answered bool, uuid string, keep int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	incKey(c.causes, cause)
	if answered && cause == "NORMAL_CLEARING" {
		return
	}
	c.failed.Add(1)
	cause = incKey(c.failedByCause, cause)
	l := append(c.failedRecent[cause], uuid)
	if len(l) > keep {
		l = l[len(l)-keep:]
	}
	c.failedRecent[cause] = l
}

func copyMap(m map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Counters returns a snapshot of the client's counters.
func (c *Client) Counters() Counters {
	k := &c.counters
	k.mu.Lock()
	out := Counters{
		HangupCauses:   copyMap(k.causes),
		FailedByCause:  copyMap(k.failedByCause),
		SessionsPerApp: copyMap(k.perApp),
		UnroutedPerApp: copyMap(k.unroutedByApp),
		Unrouted:       k.unroutedTotal,
	}
	k.mu.Unlock()
	out.Events = k.events.Load()
	out.SessionsActive = k.sessionsActive.Load()
	out.SessionsTotal = k.sessionsTotal.Load()
	out.CallsDone = k.callsDone.Load()
	out.Jobs = k.jobs.Load()
	out.JobsFailed = k.jobsFailed.Load()
	out.Failed = k.failed.Load()
	out.AppPanics = k.appPanics.Load()
	out.FlowErrors = k.flowErrors.Load()
	out.Disconnects = k.disconnects.Load()
	out.Reconnects = k.reconnects.Load()
	out.CommandsFailed = k.commandsFailed.Load()
	out.EventsDropped = k.eventsDropped.Load()
	q := &c.cmdq
	q.mu.Lock()
	out.Queued, out.QueueHighWater, out.QueueFull = int64(q.depth), int64(q.high), q.full
	q.mu.Unlock()
	return out
}

// FailedSessions returns the uuids of the most recent failed sessions with
// this hang-up cause (bounded by Config.FailedPerCause).
func (c *Client) FailedSessions(cause string) []string {
	c.counters.mu.Lock()
	defer c.counters.mu.Unlock()
	return append([]string(nil), c.counters.failedRecent[cause]...)
}
