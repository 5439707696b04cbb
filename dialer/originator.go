package dialer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/switchio/switchio/app"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/originate"
)

// State is the Originator's state: Initial -> Originating <-> Stopped.
type State int32

// States.
const (
	Initial State = iota
	Originating
	Stopped
)

func (s State) String() string {
	switch s {
	case Initial:
		return "INITIAL"
	case Originating:
		return "ORIGINATING"
	case Stopped:
		return "STOPPED"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Errors.
var (
	// ErrNoApp is returned by Start when no app with a positive weight is
	// loaded.
	ErrNoApp = errors.New("dialer: no app with a positive weight loaded")
	// ErrClosed is returned by calls on a closed Originator.
	ErrClosed = errors.New("dialer: originator closed")
)

// Causes the dialer records for calls that never got a server's answer.
const (
	// CauseSendError: the originate could not be sent (connection lost).
	CauseSendError = "SWITCHIO_SEND_ERROR"
	// CauseLost: the call's result or hang-up never arrived although its
	// server stayed reachable.
	CauseLost = "SWITCHIO_LOST"
	// CauseServerLost: the call's server was unreachable for
	// Config.ServerTimeout.
	CauseServerLost = "SWITCHIO_SERVER_LOST"
	// CauseDrainTimeout: the call was still up when the drain time after
	// the run ended (see Abandon).
	CauseDrainTimeout = "SWITCHIO_DRAIN_TIMEOUT"
	// CauseInterrupted: the run was interrupted with the call up.
	CauseInterrupted = "SWITCHIO_INTERRUPTED"
	// CauseClosed: the dialer was closed with the call still up.
	CauseClosed = "SWITCHIO_CLOSED"
)

// Config configures an Originator. Rate, Limit, MaxOffered, Duration and
// Ramp are initial values; each can be changed while running.
type Config struct {
	// ID names this dialer; its app ids are "<ID>-<app name>" and its
	// hupall only touches calls carrying them. Default: random.
	ID string
	// Rate is the target in calls per second over the whole pool
	// (fractional allowed; default 30).
	Rate float64
	// Limit caps concurrent calls ("erlangs") over the pool (default 1). A
	// call holds its slot from the moment it is offered until its last leg
	// is destroyed, so the servers never carry more.
	Limit int
	// MaxOffered stops offering after exactly this many calls (0: no cap).
	MaxOffered uint64
	// Duration is how long a call is held from answer. 0 means automatic:
	// Limit/Rate + AutoDurationOffset, recomputed when they change.
	Duration time.Duration
	// AutoDurationOffset is added to Limit/Rate for the automatic duration
	// (default 5 s).
	AutoDurationOffset time.Duration
	// Ramp raises the rate linearly from 0 to Rate over this long at Start.
	Ramp time.Duration
	// ServerLimit caps concurrent calls per server (0: only Limit);
	// ServerLimits overrides it per server address. Calls go to the
	// server with the lowest load relative to its cap.
	ServerLimit  int
	ServerLimits map[string]int
	// Request is the originate template (endpoint or profile/gateway,
	// destination, proxy, caller id, codec, headers, variables). Its UUID
	// is set per call; App/AppArg default to park.
	Request originate.Request
	// PerCall sets per-call fields (destination or caller id from a list).
	PerCall []originate.PerCall
	// DestUser is the user part of the default destination (default
	// "switchio"). With no Request.Endpoint or Request.Dest, each server
	// calls DestUser@<its own SIP address>, read from "sofia status
	// profile <profile>"; a Request.Dest (or per-call destination)
	// without "@" is completed the same way. Dests overrides the
	// destination per server address.
	DestUser string
	Dests    map[string]string
	// OriginateTimeout bounds ringing (originate_timeout; default 60 s).
	OriginateTimeout time.Duration
	// ServerTimeout is how long a server may stay unreachable before its
	// calls are given up (CauseServerLost) and it is reported lost
	// (default 10 s); when every server is lost, the dialer stops.
	ServerTimeout time.Duration
	// ServerHangup leaves the hold to the server alone
	// (execute_on_answer=sched_hangup +<Duration rounded up to seconds>).
	// FreeSWITCH's scheduler runs on whole epoch seconds, so such calls
	// are held up to a second short. By default the dialer hangs each call
	// up itself (uuid_kill) Duration after its answer, and the server's
	// sched_hangup is only a guard, Margin later, for when the dialer dies.
	ServerHangup bool
	// Margin is how long after the hold the server-side guard hangs a
	// call up (default and minimum 2 s: whole-second scheduling may fire
	// it up to a second early, and it must never beat the controller).
	Margin time.Duration
	// AppHeader, if set, is sent in the X-switchio_app header of every
	// call instead of the app's name, for far ends that key on it.
	AppHeader string
	// Senders is the number of originates being written per server at
	// once (default 8). Results come back asynchronously
	// (BACKGROUND_JOB), so many more are in flight.
	Senders int
	// CatchUp is how late the pacer may be and still send the missed calls
	// at once (default 500 ms); beyond it, and after waiting for a free
	// slot, the schedule restarts from now instead of bursting.
	CatchUp time.Duration
	// SaturationLatency is the set-up latency above which a server with a
	// backlog of originates is reported saturated (default 500 ms, or 5x
	// the lowest latency seen if higher).
	SaturationLatency time.Duration
	// OnCall receives every finished call, in order of completion, from a
	// goroutine of the dialer.
	OnCall func(CallRecord)
	// OnServerDown is called when a server's connection is lost.
	OnServerDown func(addr string)
	// Logger receives the dialer's logs (nil discards them).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.ID == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.ID = "dial" + hex.EncodeToString(b[:])
	}
	if c.Rate <= 0 {
		c.Rate = 30
	}
	if c.Limit <= 0 {
		c.Limit = 1
	}
	if c.AutoDurationOffset <= 0 {
		c.AutoDurationOffset = 5 * time.Second
	}
	if c.DestUser == "" {
		c.DestUser = "switchio"
	}
	if c.OriginateTimeout <= 0 {
		c.OriginateTimeout = 60 * time.Second
	}
	if c.ServerTimeout <= 0 {
		c.ServerTimeout = 10 * time.Second
	}
	c.Margin = max(c.Margin, 2*time.Second)
	if c.Senders <= 0 {
		c.Senders = 8
	}
	if c.CatchUp <= 0 {
		c.CatchUp = 500 * time.Millisecond
	}
	if c.SaturationLatency <= 0 {
		c.SaturationLatency = 500 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// appGroup is one app id the dialer picks for calls.
type appGroup struct {
	id string
	// label names the app in summaries and records (its spec, e.g.
	// "TonePlay/freq=440"); header is what X-switchio_app carries.
	label, header string
	weight        int
	calls         uint64
}

// Originator is an auto-dialer over a pool of servers: it offers calls at a
// paced rate, within concurrency limits, spreading them over the servers
// and over weighted apps, and measures what the servers make of them.
type Originator struct {
	pool  *cluster.Pool
	cfg   Config
	log   *slog.Logger
	mgr   *app.Manager
	epoch time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{}
	once   sync.Once

	mu           sync.Mutex
	closed       bool
	state        State
	rate         float64
	limit        int
	maxOffered   uint64
	duration     time.Duration
	autoDuration bool
	ramp         time.Duration
	seg          segment
	apps         []*appGroup
	weights      []int
	rr           wrr
	servers      []*server
	calls        map[string]*call
	active       int
	peakActive   int
	offered      uint64
	answered     uint64
	failed       uint64
	byCause      map[string]uint64
	// Outcomes of answered calls, and the hold error of completed ones.
	completed, dropped, abandoned uint64
	droppedByCause                map[string]uint64
	holdErr                       *hdrhistogram.Histogram
	heldShort, heldWithin         uint64
	lostServers                   []LostServer
	allLost                       bool
	setup                         *hdrhistogram.Histogram
	firstOffer                    time.Duration
	lastOffer                     time.Duration
	firstAnswer                   time.Duration
	lastAnswer                    time.Duration
	lastEnd                       time.Duration
	startedAt                     time.Duration // last transition to Originating
	stoppedAt                     time.Duration
	killing                       bool
	records                       []CallRecord
	changed                       chan struct{}
	winOffered                    ring
	winAnswered                   ring
	rrServer                      int
	recordsWake                   chan struct{}
	recordsDone                   chan struct{}
	pendingFlush                  []chan struct{}
}

// New builds an Originator over pool. It resolves each server's default
// destination (its own SIP address) unless the request names one, and
// starts the pacer in state Initial. Load apps with LoadApp or LoadSpec,
// then Start.
func New(ctx context.Context, pool *cluster.Pool, cfg Config) (*Originator, error) {
	cfg.setDefaults()
	if err := checkToken("dialer id", cfg.ID); err != nil {
		return nil, err
	}
	if cfg.AppHeader != "" {
		if err := checkToken("app header", cfg.AppHeader); err != nil {
			return nil, err
		}
	}
	o := &Originator{
		pool:           pool,
		cfg:            cfg,
		log:            cfg.Logger.With("dialer", cfg.ID),
		mgr:            app.NewManager(pool),
		epoch:          time.Now(),
		wake:           make(chan struct{}, 1),
		rate:           cfg.Rate,
		limit:          cfg.Limit,
		maxOffered:     cfg.MaxOffered,
		ramp:           cfg.Ramp,
		calls:          map[string]*call{},
		byCause:        map[string]uint64{},
		droppedByCause: map[string]uint64{},
		setup:          newHist(),
		holdErr:        newHist(),
		recordsWake:    make(chan struct{}, 1),
		recordsDone:    make(chan struct{}),
	}
	o.duration, o.autoDuration = cfg.Duration, cfg.Duration <= 0
	o.recomputeDuration()
	for i, c := range pool.Clients() {
		s := &server{idx: i, c: c, addr: c.Addr(), byCause: map[string]uint64{}, setup: newHist(),
			queue: make(chan *call, 1<<14)}
		s.hangups.init()
		s.limit = cfg.ServerLimit
		if n, ok := cfg.ServerLimits[s.addr]; ok {
			s.limit = n
		}
		if err := o.resolveDest(ctx, s); err != nil {
			return nil, err
		}
		if err := c.Subscribe(ctx, trackedEvents...); err != nil {
			return nil, fmt.Errorf("dialer: subscribe on %s: %w", s.addr, err)
		}
		o.servers = append(o.servers, s)
	}
	o.ctx, o.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, s := range o.servers {
		s := s
		s.c.Observe(func(e *cluster.Event) { o.observe(s, e) })
		for i := 0; i < cfg.Senders; i++ {
			o.wg.Add(1)
			go o.sender(s)
		}
		o.wg.Add(1)
		go o.hangupSender(s)
	}
	o.wg.Add(2) // pace, monitor; the recorder closes recordsDone
	go o.pace()
	go o.monitor()
	go o.recorder()
	return o, nil
}

// resolveDest sets the destination a server dials: Dests[addr], else the
// request's, else DestUser at the server's own SIP address (read from
// "sofia status profile <profile>").
func (o *Originator) resolveDest(ctx context.Context, s *server) error {
	r := o.cfg.Request
	d, ok := o.cfg.Dests[s.addr]
	switch {
	case ok:
		s.dest = d
		return nil
	case r.Endpoint != "":
		s.dest = r.Dest
		return nil
	case r.Gateway != "":
		s.dest = r.Dest
		if s.dest == "" {
			s.dest = o.cfg.DestUser
		}
		return nil
	case strings.Contains(r.Dest, "@") && len(o.cfg.PerCall) == 0:
		s.dest = r.Dest
		return nil
	}
	profile := r.Profile
	if profile == "" {
		profile = "external"
	}
	addr, err := s.c.SIPAddr(ctx, profile)
	if err != nil {
		return fmt.Errorf("dialer: destination for %s (sofia profile %s): %w", s.addr, profile, err)
	}
	s.sipAddr = addr
	user := r.Dest
	if user == "" {
		user = o.cfg.DestUser
	}
	s.dest = user
	if !strings.Contains(user, "@") {
		s.dest = user + "@" + addr
	}
	return nil
}

// ID returns the dialer's id.
func (o *Originator) ID() string { return o.cfg.ID }

// Pool returns the pool the dialer offers calls to.
func (o *Originator) Pool() *cluster.Pool { return o.pool }

// checkToken rejects values that cannot travel in a dial string variable
// and a hupall argument.
func checkToken(what, s string) error {
	if s == "" || strings.ContainsAny(s, " \t\r\n{}[]'\",;=^|") {
		return fmt.Errorf("dialer: %s %q must be non-empty without spaces, quotes, braces or separators", what, s)
	}
	return nil
}

// LoadApp loads apps under one app id on every server of the pool and adds
// that id to the weighted round robin that picks each call's app (weight
// 0 loads it without giving it calls). name, if not empty, becomes the
// id's suffix (the id is "<dialer id>-<name>"), the app's label in
// summaries and records, and the value of the X-switchio_app header
// (unless Config.AppHeader is set). It returns the app id.
func (o *Originator) LoadApp(ctx context.Context, name string, weight int, apps ...app.Loadable) (string, error) {
	return o.loadApp(ctx, name, name, weight, apps...)
}

func (o *Originator) loadApp(ctx context.Context, name, label string, weight int, apps ...app.Loadable) (string, error) {
	if weight < 0 {
		return "", fmt.Errorf("dialer: negative weight %d", weight)
	}
	if name == "" {
		name = "app"
	}
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return "", ErrClosed
	}
	id := o.cfg.ID + "-" + name
	for n := 2; o.appIndex(id) >= 0; n++ {
		id = fmt.Sprintf("%s-%s-%d", o.cfg.ID, name, n)
	}
	o.mu.Unlock()
	if err := checkToken("app id", id); err != nil {
		return "", err
	}
	if err := o.mgr.Load(ctx, id, apps...); err != nil {
		return "", err
	}
	header := name
	if o.cfg.AppHeader != "" {
		header = o.cfg.AppHeader
	}
	o.mu.Lock()
	if label == "" {
		label = name
	}
	unique := label
	for n := 2; o.labelIndex(unique) >= 0; n++ {
		unique = fmt.Sprintf("%s#%d", label, n)
	}
	o.apps = append(o.apps, &appGroup{id: id, label: unique, header: header, weight: weight})
	o.notify()
	o.mu.Unlock()
	return id, nil
}

func (o *Originator) labelIndex(label string) int {
	for i, g := range o.apps {
		if g.label == label {
			return i
		}
	}
	return -1
}

// AppLabel returns the label (spec or name) of a loaded app id, as used
// in summaries and records ("" if the id is not loaded).
func (o *Originator) AppLabel(id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i := o.appIndex(id); i >= 0 {
		return o.apps[i].label
	}
	return ""
}

// LoadSpec loads a registered app ("Name" or "Name/key=value,...", see
// app.Registry.New) with one instance per server. The spec labels it in
// summaries and records; X-switchio_app carries the app's name.
func (o *Originator) LoadSpec(ctx context.Context, reg *app.Registry, spec string, weight int) (string, error) {
	if reg == nil {
		reg = app.Default
	}
	a, err := reg.New(spec)
	if err != nil {
		return "", err
	}
	name := cluster.AppName(a)
	first := true
	return o.loadApp(ctx, name, spec, weight, app.PerServer(func() cluster.App {
		if first {
			first = false
			return a
		}
		b, _ := reg.New(spec)
		return b
	}))
}

func (o *Originator) appIndex(id string) int {
	for i, g := range o.apps {
		if g.id == id {
			return i
		}
	}
	return -1
}

// SetWeight changes an app id's weight live (0 stops giving it calls;
// when every weight is 0 the dialer stops offering).
func (o *Originator) SetWeight(appID string, weight int) error {
	if weight < 0 {
		return fmt.Errorf("dialer: negative weight %d", weight)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	i := o.appIndex(appID)
	if i < 0 {
		return fmt.Errorf("dialer: no app id %q", appID)
	}
	o.apps[i].weight = weight
	o.notify()
	return nil
}

// AppIDs returns the loaded app ids in load order.
func (o *Originator) AppIDs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, len(o.apps))
	for i, g := range o.apps {
		out[i] = g.id
	}
	return out
}

// Settings are the load-test settings Setup applies on every server.
type Settings struct {
	// SPS is "fsctl sps" (0: 10000, or four times the rate if higher).
	SPS int
	// MaxSessions is "fsctl max_sessions" (0: 10000, or enough for Limit
	// calls of two legs each on one server if higher).
	MaxSessions int
	// VerboseEvents sends "fsctl verbose_events true" (full-size events).
	VerboseEvents bool
}

// Setup applies load-test settings on each server: sessions per second,
// max sessions and optionally verbose events. It reports every server that
// refuses, by address and reply.
func (o *Originator) Setup(ctx context.Context, st Settings) error {
	o.mu.Lock()
	rate, limit := o.rate, o.limit
	o.mu.Unlock()
	if st.SPS <= 0 {
		st.SPS = max(10000, int(math.Ceil(4*rate)))
	}
	if st.MaxSessions <= 0 {
		st.MaxSessions = max(10000, 2*limit+100)
	}
	cmds := []string{fmt.Sprintf("fsctl sps %d", st.SPS), fmt.Sprintf("fsctl max_sessions %d", st.MaxSessions)}
	if st.VerboseEvents {
		cmds = append(cmds, "fsctl verbose_events true")
	}
	var errs []error
	for _, s := range o.servers {
		for _, cmd := range cmds {
			out, err := s.c.API(ctx, cmd)
			if err == nil && !strings.HasPrefix(out, "+OK") {
				err = errors.New(strings.TrimSpace(out))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("server %s refused %q: %w", s.addr, cmd, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Start starts (or resumes) offering calls: Initial|Stopped -> Originating.
func (o *Originator) Start() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	if o.state == Originating {
		return nil
	}
	ok := false
	for _, g := range o.apps {
		ok = ok || g.weight > 0
	}
	if !ok {
		return ErrNoApp
	}
	if o.maxOffered > 0 && o.offered >= o.maxOffered {
		return fmt.Errorf("dialer: max offered (%d) already reached", o.maxOffered)
	}
	now := time.Now()
	r0 := o.rate
	if o.ramp > 0 {
		r0 = 0
	}
	o.seg = segment{t0: now, n0: o.offered, r0: r0, r1: o.rate, ramp: o.ramp}
	o.killing = false
	o.startedAt = o.since(now)
	o.setState(Originating)
	return nil
}

// Stop stops offering calls; calls up keep their hold time.
// Originating -> Stopped.
func (o *Originator) Stop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == Originating {
		o.setState(Stopped)
	}
}

// setState changes state; o.mu held.
func (o *Originator) setState(s State) {
	if o.state == s {
		return
	}
	if s == Stopped {
		o.stoppedAt = o.since(time.Now())
	}
	o.log.Info("state", "from", o.state, "to", s)
	o.state = s
	o.notify()
}

// State returns the current state.
func (o *Originator) State() State {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state
}

// CheckState reports whether the state is s.
func (o *Originator) CheckState(s State) bool { return o.State() == s }

// Hupall stops offering and hangs up this dialer's calls only: on every
// reachable server "hupall NORMAL_CLEARING sip_h_X-switchio_app_id <app
// id>" for each of its app ids; calls whose originate was still on its
// way are hung up as they show up. Their outcome is abandoned.
func (o *Originator) Hupall(ctx context.Context) error {
	o.mu.Lock()
	if o.state == Originating {
		o.setState(Stopped)
	}
	o.killing = true
	o.markAbandoned()
	o.mu.Unlock()
	return o.hupall(ctx, true)
}

// hupall sends the hang-ups to every server whose connection is up (an
// unreachable one would only make the caller wait); own restricts them
// to this dialer's app ids.
func (o *Originator) hupall(ctx context.Context, own bool) error {
	o.mu.Lock()
	ids := make([]string, len(o.apps))
	for i, g := range o.apps {
		ids[i] = g.id
	}
	o.mu.Unlock()
	var errs []error
	for _, s := range o.servers {
		if s.c.Conn() == nil {
			continue
		}
		if !own {
			if err := s.c.Hupall(ctx, "NORMAL_CLEARING", "", ""); err != nil {
				errs = append(errs, fmt.Errorf("hupall on %s: %w", s.addr, err))
			}
			continue
		}
		for _, id := range ids {
			if err := s.c.Hupall(ctx, "NORMAL_CLEARING", "sip_h_"+cluster.HeaderAppID, id); err != nil {
				errs = append(errs, fmt.Errorf("hupall on %s: %w", s.addr, err))
			}
		}
	}
	return errors.Join(errs...)
}

// markAbandoned marks every call up as ended by switchio (a hupall is on
// its way); o.mu held.
func (o *Originator) markAbandoned() {
	for _, c := range o.calls {
		if c.endBy == endNone {
			c.endBy = endAbandon
		}
	}
}

// HardHupall stops offering and hangs up every call on every reachable
// server, this dialer's or not.
func (o *Originator) HardHupall(ctx context.Context) error {
	o.mu.Lock()
	if o.state == Originating {
		o.setState(Stopped)
	}
	o.killing = true
	o.markAbandoned()
	o.mu.Unlock()
	return o.hupall(ctx, false)
}

// Shutdown hangs up the dialer's calls, waits (bounded by ctx) for them
// to end and closes the dialer.
func (o *Originator) Shutdown(ctx context.Context) error {
	err := o.Hupall(ctx)
	werr := o.Wait(ctx)
	return errors.Join(err, werr, o.Close())
}

// Close stops the dialer's goroutines, records every call still up
// (CauseClosed: answered ones abandoned, the others failed), delivers the
// remaining call records to OnCall and unloads its apps (waiting at most
// 5 s for unreachable servers). Calls still up keep their server-side
// guard. It is idempotent.
func (o *Originator) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return o.CloseContext(ctx)
}

// CloseContext is Close with ctx bounding the unloading of apps: with a
// done ctx it returns at once, records delivered, even when a server is
// unreachable.
func (o *Originator) CloseContext(ctx context.Context) error {
	var err error
	o.once.Do(func() {
		o.mu.Lock()
		if o.state == Originating {
			o.setState(Stopped)
		}
		o.releaseAll(CauseClosed, time.Now())
		o.closed = true
		o.notify()
		o.mu.Unlock()
		o.cancel()
		o.wg.Wait()
		<-o.recordsDone
		var errs []error
		for _, id := range o.mgr.IDs() {
			if ctx.Err() != nil {
				break
			}
			errs = append(errs, o.mgr.Unload(ctx, id))
		}
		err = errors.Join(errs...)
	})
	return err
}

// Abandon ends the run now: it stops offering, records every call still
// up under cause (answered ones abandoned, the others failed) without
// waiting for their ends, and asks the reachable servers to hang up this
// dialer's calls (bounded by ctx). Use it when a drain time runs out or
// the user insists on stopping.
func (o *Originator) Abandon(ctx context.Context, cause string) error {
	o.mu.Lock()
	if o.state == Originating {
		o.setState(Stopped)
	}
	o.killing = true
	o.releaseAll(cause, time.Now())
	o.mu.Unlock()
	signal(o.recordsWake)
	return o.hupall(ctx, true)
}

// Flush delivers the finished calls' records to OnCall now and returns
// once they are delivered (or ctx ends).
func (o *Originator) Flush(ctx context.Context) error {
	done := make(chan struct{})
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.pendingFlush = append(o.pendingFlush, done)
	o.mu.Unlock()
	signal(o.recordsWake)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-o.recordsDone:
		return nil
	}
}

// notify wakes the pacer and every waiter; o.mu held.
func (o *Originator) notify() {
	if o.changed != nil {
		close(o.changed)
		o.changed = nil
	}
	signal(o.wake)
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// WaitForState blocks until the state is s (or ctx ends).
func (o *Originator) WaitForState(ctx context.Context, s State) error {
	return o.WaitWhile(ctx, func(st Stats) bool { return st.State != s })
}

// WaitWhile blocks while cond holds (or until ctx ends). cond is checked at
// every state change and call completion, and at least every 250 ms.
func (o *Originator) WaitWhile(ctx context.Context, cond func(Stats) bool) error {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		o.mu.Lock()
		if o.changed == nil {
			o.changed = make(chan struct{})
		}
		ch := o.changed
		o.mu.Unlock()
		if !cond(o.Stats()) {
			return nil
		}
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Wait blocks until the dialer is not originating and none of its calls
// is up (the default wait of a load test).
func (o *Originator) Wait(ctx context.Context) error {
	return o.WaitWhile(ctx, func(st Stats) bool { return st.State == Originating || st.Active > 0 })
}

// SetRate changes the target rate (calls per second) live.
func (o *Originator) SetRate(r float64) error {
	if r <= 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return fmt.Errorf("dialer: rate %v must be positive", r)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rate = r
	o.recomputeDuration()
	o.rebase(time.Now(), o.seg.rampLeft(time.Now()))
	return nil
}

// SetRamp restarts a linear ramp from the current rate to the target rate
// over d (0: jump to it).
func (o *Originator) SetRamp(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ramp = d
	o.rebase(time.Now(), d)
}

// rebase restarts the schedule at now from the current rate; o.mu held.
func (o *Originator) rebase(now time.Time, ramp time.Duration) {
	if o.state == Originating {
		o.seg = segment{t0: now, n0: o.offered, r0: o.seg.rateAt(now), r1: o.rate, ramp: ramp}
	}
	o.notify()
}

// SetLimit changes the concurrent call limit live.
func (o *Originator) SetLimit(n int) error {
	if n <= 0 {
		return fmt.Errorf("dialer: limit %d must be positive", n)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.limit = n
	o.recomputeDuration()
	o.notify()
	return nil
}

// SetServerLimit changes one server's concurrent call cap (0: none).
func (o *Originator) SetServerLimit(addr string, n int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.servers {
		if s.addr == addr {
			s.limit = n
			o.notify()
			return nil
		}
	}
	return fmt.Errorf("dialer: no server %s", addr)
}

// SetMaxOffered changes the total number of calls to offer (0: no cap).
func (o *Originator) SetMaxOffered(n uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.maxOffered = n
	o.notify()
}

// SetDuration changes the hold time of calls offered from now on (0:
// automatic, Limit/Rate + AutoDurationOffset).
func (o *Originator) SetDuration(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.duration, o.autoDuration = d, d <= 0
	o.recomputeDuration()
}

// recomputeDuration applies the automatic duration; o.mu held.
func (o *Originator) recomputeDuration() {
	if o.autoDuration {
		o.duration = time.Duration(float64(o.limit)/o.rate*float64(time.Second)) + o.cfg.AutoDurationOffset
	}
}

// Duration returns the hold time given to new calls.
func (o *Originator) Duration() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.duration
}

// Rate returns the target rate.
func (o *Originator) Rate() float64 { o.mu.Lock(); defer o.mu.Unlock(); return o.rate }

// Limit returns the concurrent call limit.
func (o *Originator) Limit() int { o.mu.Lock(); defer o.mu.Unlock(); return o.limit }

// MaxOffered returns the total number of calls to offer (0: no cap).
func (o *Originator) MaxOffered() uint64 { o.mu.Lock(); defer o.mu.Unlock(); return o.maxOffered }

// since returns t as an offset from the dialer's epoch (monotonic).
func (o *Originator) since(t time.Time) time.Duration { return t.Sub(o.epoch) }

// at converts an epoch offset back to wall time.
func (o *Originator) at(d time.Duration) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return o.epoch.Add(d)
}

func newHist() *hdrhistogram.Histogram {
	// 1 µs .. 1 h at 2 significant digits (~20 KB).
	return hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 2)
}
