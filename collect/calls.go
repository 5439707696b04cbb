package collect

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchio/switchio/measure"

	"github.com/switchio/switchio/cluster"
)

// cdrEvents are the events the CDR needs beyond the cluster core's.
var cdrEvents = []string{"CHANNEL_ORIGINATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"}

// CallRecorderConfig configures a CallRecorder.
type CallRecorderConfig struct {
	// LoadTest makes the CDR write a call's record when Complete gives
	// its Facts (one record per offered call); calls no Facts claim are
	// dropped after Linger (they are not the load test's). Otherwise a
	// call's record is written when its last leg is destroyed (one record
	// per call seen).
	LoadTest bool
	// Linger bounds how long a finished call waits for its Facts, and
	// how long Facts wait for a call's events (default 30 s).
	Linger time.Duration
	// OnRecord receives each record, from the CDR's goroutines, in
	// completion order; it must not block for long.
	OnRecord func(measure.Record)
	// Verdicts declares the verdict columns of the run's apps (see
	// Verdicter); VerdictWait bounds how long a record waits for a
	// verdict marked pending (default 5 s).
	Verdicts    []measure.VerdictSpec
	VerdictWait time.Duration
	// AppOf, when set, names the apps handling a leg's session (outside a
	// load test, where the dialer's facts do): the record's App.
	AppOf func(*cluster.Client, *cluster.Session) string
}

// CallRecorder builds one call-detail record per call from the pool's events (both
// legs, on their servers' clocks, FreeSWITCH's own billsec and RTP
// figures) and, in a load test, the dialer's Facts. It is switchio's CDR
// measurer; Attach it to a pool before calls start.
type CallRecorder struct {
	cfg CallRecorderConfig

	hurry atomic.Bool // CloseNow
	mu    sync.Mutex
	calls map[string]*partial // by call key
	// audioLegs are the legs the RTP check covers, by call key, from
	// Facts.AudioLegs until the record is delivered; rtpCheck is set when
	// the run declares the check's columns (RTPVerdicts), so records
	// never carry a verdict the store was not told of.
	audioLegs map[string]measure.Legs
	rtpCheck  bool
	waiting   map[string]waitingFacts
	failed    int64
	active    int64 // legs up
	up        int64 // calls answered and not hung up
	stats     CallRecorderStats
	offsets   map[string]measure.ClockOffset
	res       map[string]*measure.ResolutionSampler // each server's timestamp resolution
	held      []heldRecord                          // waiting for pending verdicts
	// live holds each tracked call's cluster.Call (its verdicts) until
	// its record is written.
	live     map[string]*cluster.Call
	attached map[*cluster.Client]bool
	closed   bool
	// legKey and bySIP index the partials by leg uuid and SIP Call-ID,
	// to join legs without a correlation header (cdr_join.go).
	legKey map[string]string
	bySIP  map[string]string
	// unobserve stops the observers AttachClient started (Close): a pool
	// outlives its recorders.
	unobserve []func()
}

// CallRecorderStats counts what the CallRecorder did, for tests and diagnostics.
type CallRecorderStats struct {
	// Records written; Unclaimed calls dropped because no Facts came
	// (load test only); InFlight calls tracked now.
	Records, Unclaimed, InFlight int64
}

// heldRecord is a finished record waiting for its pending verdicts.
type heldRecord struct {
	r     measure.Record
	until time.Time
}

type waitingFacts struct {
	f  measure.Facts
	at time.Time
}

// partial is a call's record while its legs are up: each leg's facts
// apart, assembled into a Record (caller and callee) when it is written.
type partial struct {
	key     string
	call    *cluster.Call
	legs    legList
	up      int       // legs not yet destroyed
	ended   time.Time // when its last leg was destroyed (local)
	counted bool      // counted in CallRecorder.up
	// app names the apps that handled the call (CallRecorderConfig.AppOf), outside
	// a load test; sips are its legs' SIP Call-IDs (cdr_join.go).
	app  string
	sips []string
}

// legList is a call's legs in the order they were created: usually two,
// so a slice found by uuid, smaller than a map for so few (the CDR keeps
// one per call in flight).
type legList []*leg

// get returns the leg of uuid, or nil.
func (ls legList) get(uuid string) *leg {
	for _, l := range ls {
		if l.uuid == uuid {
			return l
		}
	}
	return nil
}

// put adds l, or replaces the leg of the same uuid.
func (ls *legList) put(l *leg) {
	for i, x := range *ls {
		if x.uuid == l.uuid {
			(*ls)[i] = l
			return
		}
	}
	*ls = append(*ls, l)
}

// leg is one leg's facts.
type leg struct {
	uuid, server, dest                       string
	create, originate, ringing, earlyMedia   time.Time
	answer, hangup, localAnswer, localHangup time.Time
	// localCreate is when its CHANNEL_CREATE came (controller's clock):
	// it orders legs where the servers' stamps cannot (one tick, two
	// clocks).
	localCreate     time.Time
	outbound        bool // Call-Direction outbound: a leg FreeSWITCH placed
	activeAtCreate  int64
	erlangsAtCreate float64
	vars            *measure.Record // call-detail values at hang-up (fillCallerVars)
	rtp             *measure.RTP
}

// record assembles the call's Record: the caller is the leg whose uuid is
// the call key (the A leg of a call switchio placed, or FreeSWITCH's call
// uuid), else the first created.
func (p *partial) record() *measure.Record {
	r := measure.Record{CallID: p.key, App: p.app}
	caller := p.legs.get(p.key)
	if caller == nil {
		caller = p.earliest(nil)
	}
	callee := p.earliest(caller)
	if caller != nil {
		r.Server = caller.server
		r.Destination = caller.dest
		r.CallerCreate, r.CallerOriginate = caller.create, caller.originate
		r.CallerRinging, r.CallerEarlyMedia = caller.ringing, caller.earlyMedia
		r.CallerAnswer, r.CallerHangup = caller.answer, caller.hangup
		r.LocalAnswer, r.LocalHangup = caller.localAnswer, caller.localHangup
		r.ActiveSessions, r.Erlangs = caller.activeAtCreate, caller.erlangsAtCreate
		if v := caller.vars; v != nil {
			r.HangupCause, r.SIPCallID, r.SIPTermStatus, r.Q850Cause = v.HangupCause, v.SIPCallID, v.SIPTermStatus, v.Q850Cause
			r.BillSec, r.BillMsec, r.ProgressSec, r.ProgressMediaSec = v.BillSec, v.BillMsec, v.ProgressSec, v.ProgressMediaSec
			r.HangupBy = v.HangupBy
		}
		r.CallerRTP = caller.rtp
	}
	if callee != nil {
		r.CalleeServer = callee.server
		r.CalleeCreate, r.CalleeAnswer, r.CalleeHangup = callee.create, callee.answer, callee.hangup
		r.CalleeRTP = callee.rtp
		if r.SIPTermStatus == "" && callee.vars != nil {
			// The leg that received the final response or BYE carries it.
			r.SIPTermStatus = callee.vars.SIPTermStatus
		}
	}
	return &r
}

// earliest returns the first created leg other than but (nil if none),
// as the controller saw them created: the servers' own stamps may be one
// tick apart or equal, and on two servers on two clocks.
func (p *partial) earliest(but *leg) *leg {
	var first *leg
	for _, l := range p.legs {
		if l != but && (first == nil || l.localCreate.Before(first.localCreate)) {
			first = l
		}
	}
	return first
}

// NewCallRecorder returns a CDR; Attach it to a pool.
func NewCallRecorder(cfg CallRecorderConfig) *CallRecorder {
	if cfg.Linger <= 0 {
		cfg.Linger = 30 * time.Second
	}
	if cfg.VerdictWait <= 0 {
		cfg.VerdictWait = 5 * time.Second
	}
	m := &CallRecorder{cfg: cfg, calls: map[string]*partial{}, waiting: map[string]waitingFacts{}, offsets: map[string]measure.ClockOffset{},
		res: map[string]*measure.ResolutionSampler{}, live: map[string]*cluster.Call{}, legKey: map[string]string{}, bySIP: map[string]string{}}
	for _, sp := range cfg.Verdicts {
		m.rtpCheck = m.rtpCheck || sp.Name == measure.VerdictRTPOK
	}
	return m
}

// Attach subscribes the events the CDR needs on every server of the pool
// and observes them. Attach it before the dialer (or apps) so a call's
// events are seen here before the call is reported finished.
func (m *CallRecorder) Attach(ctx context.Context, pool *cluster.Pool) error {
	for _, c := range pool.Clients() {
		if err := m.AttachClient(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// AttachClient attaches the CDR to one server's client; a client already
// attached is left alone, so no call is counted twice.
func (m *CallRecorder) AttachClient(ctx context.Context, c *cluster.Client) error {
	m.mu.Lock()
	if m.attached == nil {
		m.attached = map[*cluster.Client]bool{}
	}
	if m.attached[c] {
		m.mu.Unlock()
		return nil
	}
	m.attached[c] = true
	m.mu.Unlock()
	if err := c.Subscribe(ctx, cdrEvents...); err != nil {
		return fmt.Errorf("measure: %w", err) // it names the server and the events
	}
	stop := c.Observe(func(e *cluster.Event) { m.observe(c, e) })
	m.mu.Lock()
	m.unobserve = append(m.unobserve, stop)
	m.mu.Unlock()
	return nil
}

// clockSample updates a server's clock offset from one event: the
// smallest (receive time - event time) seen; and its clock's resolution
// (resolution.go); m.mu held.
func (m *CallRecorder) clockSample(server string, now, ts time.Time) {
	if ts.IsZero() {
		return
	}
	rs := m.res[server]
	if rs == nil {
		rs = &measure.ResolutionSampler{}
		m.res[server] = rs
	}
	rs.Add(ts)
	off := float64(now.Sub(ts)) / float64(time.Millisecond)
	o := m.offsets[server]
	if o.Samples == 0 || off < o.OffsetMs {
		o.OffsetMs = off
	}
	o.Samples++
	m.offsets[server] = o
}

// ClockOffsets returns each server's clock offset against the
// controller's as measured so far (local = server + offset, within the
// smallest delivery delay seen).
func (m *CallRecorder) ClockOffsets() map[string]measure.ClockOffset {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]measure.ClockOffset, len(m.offsets))
	for k, v := range m.offsets {
		v.OffsetMs = round4(v.OffsetMs)
		out[k] = v
	}
	return out
}

// ClockResolutions returns how finely each server stamps its events, as
// measured so far from their Event-Date-Timestamps (see ClockResolution):
// 20 ms on a vanilla FreeSWITCH, whose server-side latencies then come in
// steps of 20 ms.
func (m *CallRecorder) ClockResolutions() map[string]measure.ClockResolution {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]measure.ClockResolution, len(m.res))
	for k, rs := range m.res {
		out[k] = rs.Result()
	}
	return out
}

// Stats returns the CDR's counters.
func (m *CallRecorder) Stats() CallRecorderStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats
	st.InFlight = int64(len(m.calls))
	return st
}

// observe records one event of a call's leg: it finds (or, on
// CHANNEL_CREATE, starts) the call and the leg, joins the call with its
// other legs, samples the server's clock, and applies the event by kind;
// the record of a call the event ends is emitted once m.mu is released.
// It runs for every event of every call: keep it allocation-free.
func (m *CallRecorder) observe(c *cluster.Client, e *cluster.Event) {
	switch e.Key {
	case "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
		"CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY":
	default:
		return
	}
	call := e.Call()
	if call == nil || e.Session == nil {
		return
	}
	key := call.Key()
	uuid := e.Session.UUID()
	now := time.Now()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	p := m.partialOf(e, call, key, uuid)
	if p == nil {
		m.mu.Unlock()
		return
	}
	l := p.legs.get(uuid)
	if l == nil {
		if l = m.newLeg(c, e, p, uuid); l == nil {
			m.mu.Unlock()
			return
		}
	}
	p = m.join(p, e)
	ts := e.Timestamp()
	m.clockSample(c.Addr(), now, ts)
	out := m.apply(p, l, e, key, ts, now)
	m.mu.Unlock()
	m.emit(out)
}

// partialOf returns the partial of the event's call (of the call its leg
// was joined to, outside a load test), starting one on CHANNEL_CREATE;
// nil when the call is not tracked. m.mu held.
func (m *CallRecorder) partialOf(e *cluster.Event, call *cluster.Call, key, uuid string) *partial {
	p := m.calls[key]
	if k, ok := m.legKey[uuid]; ok && !m.cfg.LoadTest {
		p = m.calls[k] // joined to another call (cdr_join.go)
	}
	if p == nil {
		if e.Key != "CHANNEL_CREATE" {
			return nil
		}
		p = &partial{key: key, legs: make(legList, 0, 2)}
		m.calls[key] = p
	}
	if p.call == nil {
		p.call = call
		m.live[key] = call
	}
	return p
}

// newLeg adds p's leg of uuid on CHANNEL_CREATE (indexed and its app
// named, outside a load test); nil for any other event of a leg not
// tracked. m.mu held.
func (m *CallRecorder) newLeg(c *cluster.Client, e *cluster.Event, p *partial, uuid string) *leg {
	if e.Key != "CHANNEL_CREATE" {
		return nil
	}
	l := &leg{uuid: uuid, server: c.Addr()}
	p.legs.put(l)
	if !m.cfg.LoadTest {
		m.legKey[uuid] = p.key
		if p.app == "" && m.cfg.AppOf != nil {
			p.app = m.cfg.AppOf(c, e.Session)
		}
	}
	return l
}

// apply records the event on leg l of call p (key is the event's call
// key), by event kind, stamped ts on the server's clock and now on the
// controller's; it returns the record to emit when the event ends the
// call. m.mu held.
func (m *CallRecorder) apply(p *partial, l *leg, e *cluster.Event, key string, ts, now time.Time) []measure.Record {
	switch e.Key {
	case "CHANNEL_CREATE":
		m.legCreated(p, l, e, ts, now)
	case "CHANNEL_ORIGINATE":
		l.originate = ts
	case "CHANNEL_PROGRESS":
		if l.ringing.IsZero() {
			l.ringing = ts
		}
	case "CHANNEL_PROGRESS_MEDIA":
		if l.earlyMedia.IsZero() {
			l.earlyMedia = ts
		}
	case "CHANNEL_ANSWER":
		l.answer, l.localAnswer = ts, now
		if !p.counted {
			p.counted = true
			m.up++
		}
	case "CHANNEL_HANGUP_COMPLETE":
		m.legHungUp(p, l, e, ts, now)
	case "CHANNEL_DESTROY":
		return m.legDestroyed(p, key, now)
	}
	return nil
}

// legCreated counts a new leg up and stamps its creation, direction,
// destination and the load it was created under. m.mu held.
func (m *CallRecorder) legCreated(p *partial, l *leg, e *cluster.Event, ts, now time.Time) {
	p.up++
	m.active++
	l.create, l.localCreate = ts, now
	l.outbound = e.Get("Call-Direction") == "outbound"
	l.dest = strings.Clone(e.Get("Caller-Destination-Number"))
	l.activeAtCreate = m.active
	l.erlangsAtCreate = float64(m.up)
}

// legHungUp stamps a leg's hang-up and keeps its call-detail values and
// RTP figures; the call no longer counts as up. m.mu held.
func (m *CallRecorder) legHungUp(p *partial, l *leg, e *cluster.Event, ts, now time.Time) {
	l.hangup, l.localHangup = ts, now
	l.vars = &measure.Record{}
	fillCallerVars(l.vars, e)
	l.rtp = l.vars.CallerRTP
	l.vars.CallerRTP = nil
	if p.counted {
		p.counted = false
		m.up--
	}
}

// legDestroyed counts a leg down; when it was the call's last, it
// returns the call's record: at once outside a load test, else when its
// Facts are waiting (key is the event's call key). m.mu held.
func (m *CallRecorder) legDestroyed(p *partial, key string, now time.Time) []measure.Record {
	p.up--
	m.active--
	if p.up > 0 {
		return nil
	}
	if p.counted {
		p.counted = false
		m.up--
	}
	p.ended = now
	var out []measure.Record
	if !m.cfg.LoadTest {
		delete(m.calls, p.key)
		m.forget(p)
		r := p.record()
		out = append(out, m.finish(r, observedOutcome(r), r.HangupCause))
	} else if w, ok := m.waiting[key]; ok {
		delete(m.waiting, key)
		delete(m.calls, key)
		out = append(out, m.merge(p.record(), w.f))
	}
	return out
}

// Complete gives the Facts of one offered call (load test). Its record is
// written now if its legs are gone (or never came), else when its last
// leg is destroyed.
func (m *CallRecorder) Complete(f measure.Facts) {
	var out []measure.Record
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	p := m.calls[f.CallID]
	switch {
	case p == nil:
		// Never created on a server (refused, never sent, or its server
		// was lost before its events came): the dialer's facts alone.
		out = append(out, m.merge(&measure.Record{CallID: f.CallID}, f))
	case p.up <= 0:
		delete(m.calls, f.CallID)
		out = append(out, m.merge(p.record(), f))
	case isSwitchioCause(f.Cause):
		// Given up by switchio (server lost, drain, interrupt): its legs'
		// ends may never be seen. Write it now.
		delete(m.calls, f.CallID)
		m.active -= int64(p.up)
		if p.counted {
			m.up--
		}
		out = append(out, m.merge(p.record(), f))
	default:
		m.waiting[f.CallID] = waitingFacts{f: f, at: time.Now()}
	}
	m.mu.Unlock()
	m.emit(out)
}

func isSwitchioCause(c string) bool { return strings.HasPrefix(c, "SWITCHIO_") }

// Sweep writes calls whose Facts waited longer than Linger for their
// legs, and drops finished calls no Facts claimed (load test). Call it
// now and then (Run does).
func (m *CallRecorder) Sweep(now time.Time) {
	var out []measure.Record
	m.mu.Lock()
	for k, w := range m.waiting {
		if now.Sub(w.at) < m.cfg.Linger {
			continue
		}
		delete(m.waiting, k)
		r := &measure.Record{CallID: k}
		if p := m.calls[k]; p != nil {
			r = p.record()
			m.active -= int64(max(p.up, 0))
			delete(m.calls, k)
		}
		out = append(out, m.merge(r, w.f))
	}
	if m.cfg.LoadTest {
		for k, p := range m.calls {
			if p.up <= 0 && now.Sub(p.ended) >= m.cfg.Linger {
				delete(m.calls, k)
				delete(m.live, k)
				m.stats.Unclaimed++
			}
		}
	}
	m.mu.Unlock()
	m.emit(out)
	m.release(now, false)
}

// Run sweeps every second until ctx ends.
func (m *CallRecorder) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.Sweep(now)
		}
	}
}

// Close writes what is still waiting: Facts without their legs' ends
// (load test), calls still up (their outcome as seen so far) and records
// held for pending verdicts (without them), then stops taking events.
func (m *CallRecorder) Close() {
	var out []measure.Record
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	for _, stop := range m.unobserve {
		stop()
	}
	for k, w := range m.waiting {
		r := &measure.Record{CallID: k}
		if p := m.calls[k]; p != nil {
			r = p.record()
			delete(m.calls, k)
		}
		out = append(out, m.merge(r, w.f))
	}
	m.waiting = nil
	if !m.cfg.LoadTest {
		for _, p := range m.calls {
			r := p.record()
			out = append(out, m.finish(r, observedOutcome(r), r.HangupCause))
		}
	}
	m.calls = map[string]*partial{}
	m.mu.Unlock()
	m.emit(out)
	m.awaitVerdicts()
	m.release(time.Now(), true)
}

// CloseNow makes Close write the records still waiting for verdicts at
// once, without them (a user who interrupts twice wants out now).
func (m *CallRecorder) CloseNow() { m.hurry.Store(true) }

// awaitVerdicts gives records held for pending verdicts (a recording
// still being checked) their time, at most VerdictWait, so the last
// calls of a run keep their verdicts; none after CloseNow.
func (m *CallRecorder) awaitVerdicts() {
	if m.hurry.Load() {
		return
	}
	deadline := time.Now().Add(m.cfg.VerdictWait)
	for {
		now := time.Now()
		m.release(now, false)
		m.mu.Lock()
		n := len(m.held)
		m.mu.Unlock()
		if n == 0 || !now.Before(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// merge completes a record with the dialer's facts; m.mu held.
func (m *CallRecorder) merge(r *measure.Record, f measure.Facts) measure.Record {
	r.Seq = f.Seq
	if f.Server != "" {
		r.Server = f.Server
	}
	r.App = f.App
	if r.Destination == "" {
		r.Destination = f.Destination
	}
	r.JobLaunch = f.Picked
	r.CallerReqOriginate = f.Sent
	if !f.LocalAnswer.IsZero() && r.LocalAnswer.IsZero() {
		r.LocalAnswer = f.LocalAnswer
	}
	if !f.LocalHangup.IsZero() && r.LocalHangup.IsZero() {
		r.LocalHangup = f.LocalHangup
	}
	r.HoldMs = f.Hold.Milliseconds()
	if r.BillMsec == nil && f.BillMsec >= 0 {
		v := f.BillMsec
		r.BillMsec = &v
	}
	r.HangupBy = hangupBy(f, r.HangupBy)
	if f.AudioLegs != 0 && m.rtpCheck {
		if m.audioLegs == nil {
			m.audioLegs = map[string]measure.Legs{}
		}
		m.audioLegs[r.CallID] = f.AudioLegs
	}
	return m.finish(r, f.Outcome, f.Cause)
}

// finish stamps the outcome and the cumulative failure count; m.mu held.
func (m *CallRecorder) finish(r *measure.Record, outcome, cause string) measure.Record {
	r.Outcome = outcome
	if cause != "" {
		r.HangupCause = cause
	}
	if outcome == "failed" {
		m.failed++
	}
	r.FailedCalls = m.failed
	m.stats.Records++
	return *r
}

func (m *CallRecorder) emit(rs []measure.Record) {
	now := time.Now()
	for _, r := range rs {
		if m.ready(&r, now, false) {
			m.deliver(r)
		}
	}
}

// ready reads a record's verdicts; a record with one still pending is
// held (false) until it is set or VerdictWait passes (or force).
func (m *CallRecorder) ready(r *measure.Record, now time.Time, force bool) bool {
	m.mu.Lock()
	call := m.live[r.CallID]
	legs := m.audioLegs[r.CallID]
	m.mu.Unlock()
	var v map[string]measure.Value
	pending := false
	if call != nil { // a nil *cluster.Call is not a nil measure.CallVars
		v, pending = measure.ReadVerdicts(call, m.cfg.Verdicts)
	}
	r.Verdicts = v
	measure.CheckRTP(r, legs)
	if pending && !force {
		m.mu.Lock()
		m.held = append(m.held, heldRecord{r: *r, until: now.Add(m.cfg.VerdictWait)})
		m.mu.Unlock()
		return false
	}
	return true
}

// release writes the held records whose verdicts are in or whose wait is
// over (all with force).
func (m *CallRecorder) release(now time.Time, force bool) {
	m.mu.Lock()
	held := m.held
	m.held = nil
	m.mu.Unlock()
	for _, h := range held {
		if m.ready(&h.r, now, force || !now.Before(h.until)) {
			m.deliver(h.r)
		}
	}
}

func (m *CallRecorder) deliver(r measure.Record) {
	m.mu.Lock()
	delete(m.live, r.CallID)
	delete(m.audioLegs, r.CallID)
	m.mu.Unlock()
	if m.cfg.OnRecord != nil {
		m.cfg.OnRecord(r)
	}
}

// observedOutcome is the outcome of a call only observed (not placed by
// a load test): answered or failed.
func observedOutcome(r *measure.Record) string {
	if r.CallerAnswer.IsZero() {
		return "failed"
	}
	return "answered"
}

// hangupBy says who ended the call: the dialer's word when it gives one,
// else from the load test's outcome, or from FreeSWITCH's
// sip_hangup_disposition for calls only observed.
func hangupBy(f measure.Facts, observed string) string {
	if f.HangupBy != "" {
		return f.HangupBy
	}
	switch f.Outcome {
	case "completed":
		if f.Cause == "ALLOTTED_TIMEOUT" {
			return "server"
		}
		return "switchio"
	case "abandoned":
		return "switchio"
	case "dropped":
		return "far_end"
	}
	return observed
}

// fillCallerVars reads a leg's call-detail variables at hang-up into r
// (RTP into CallerRTP); m.mu held.
func fillCallerVars(r *measure.Record, e *cluster.Event) {
	r.HangupCause = strings.Clone(e.HangupCause())
	r.SIPCallID = strings.Clone(e.Get("variable_sip_call_id"))
	r.SIPTermStatus = strings.Clone(e.Get("variable_sip_term_status"))
	if v, ok := intVar(e, "variable_hangup_cause_q850"); ok {
		q := int32(v)
		r.Q850Cause = &q
	}
	r.BillSec = int64Var(e, "variable_billsec")
	r.BillMsec = int64Var(e, "variable_billmsec")
	r.ProgressSec = int64Var(e, "variable_progresssec")
	r.ProgressMediaSec = int64Var(e, "variable_progress_mediasec")
	switch e.Get("variable_sip_hangup_disposition") {
	case "send_bye", "send_cancel", "send_refuse":
		r.HangupBy = "switchio"
	case "recv_bye", "recv_cancel", "recv_refuse":
		r.HangupBy = "far_end"
	}
	r.CallerRTP = rtpOf(e)
}

// rtpOf reads one leg's RTP figures; nil when the leg had no RTP session
// (FreeSWITCH sets no rtp_audio_* variables then).
func rtpOf(e *cluster.Event) *measure.RTP {
	in, ok := intVar(e, "variable_rtp_audio_in_media_packet_count")
	if !ok {
		return nil
	}
	r := &measure.RTP{InPackets: in}
	r.OutPackets, _ = intVar(e, "variable_rtp_audio_out_media_packet_count")
	r.InSkipped, _ = intVar(e, "variable_rtp_audio_in_skip_packet_count")
	r.InFlaws, _ = intVar(e, "variable_rtp_audio_in_flaw_total")
	if in > 0 {
		// FreeSWITCH reports 0 jitter and a perfect MOS for a leg that
		// received nothing: unknown, not perfect.
		r.JitterMinMs = floatVar(e, "variable_rtp_audio_in_jitter_min_variance")
		r.JitterMaxMs = floatVar(e, "variable_rtp_audio_in_jitter_max_variance")
		r.MOS = floatVar(e, "variable_rtp_audio_in_mos")
		r.Quality = floatVar(e, "variable_rtp_audio_in_quality_percentage")
	}
	return r
}

func intVar(e *cluster.Event, name string) (int64, bool) {
	v := e.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func int64Var(e *cluster.Event, name string) *int64 {
	if n, ok := intVar(e, name); ok {
		return &n
	}
	return nil
}

func floatVar(e *cluster.Event, name string) *float64 {
	v := e.Get(name)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil
	}
	return &f
}

func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
