package dialer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/originate"
)

// appGroup is one app id the dialer picks for calls.
type appGroup struct {
	id string
	// label names the app in summaries and records (its spec, e.g.
	// "TonePlay/freq=440"); header is what X-switchio_app carries.
	label, header string
	weight        int
	calls         uint64
	// selfEnding is set when the app ends its calls itself; aware are
	// the app instances told of load changes.
	selfEnding appkit.SelfEnding
	aware      []appkit.LoadAware
	// vars are the channel variables the app's originates need
	// (appkit.OriginateVarser), each added unless the request sets it.
	vars []originate.Var
	// audioLegs are the legs the app needs audio on
	// (measure.AudioReceiver): its calls' records get the RTP check.
	audioLegs measure.Legs
}

// guardHold is how long after the answer the server-side guard lets a
// call of the group run: its hold, or a self-ending app's maximum.
func (g *appGroup) guardHold(hold time.Duration) time.Duration {
	if g.selfEnding != nil && hold > 0 {
		return max(g.selfEnding.MaxHold(hold), hold)
	}
	return hold
}

// Originator is an auto-dialer over a pool of servers: it offers calls at a
// paced rate, within concurrency limits, spreading them over the servers
// and over weighted apps, and measures what the servers make of them.
type Originator struct {
	pool  *cluster.Pool
	cfg   Config
	log   *slog.Logger
	mgr   *appkit.Manager
	epoch time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	host hostLoad // guarded by mu; sampled by monitor
	wake chan struct{}
	once sync.Once
	// stageEntered tells the pacer to tell the apps the new load after
	// a stage of the load profile began.
	stageEntered atomic.Bool

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
	tr           traffic
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
	lostServers                   []summary.LostServer
	// unobserve stops the dialer's observers of its servers' events
	// (Close): a pool outlives its dialers.
	unobserve []func()
	changes   []summary.Change
	// changedAt is when each of changes took effect, from the epoch: At
	// is computed from it once the first offer is known.
	changedAt   []time.Duration
	fsctl       fsctlState
	startRate   float64
	allLost     bool
	setup       *hdrhistogram.Histogram
	firstOffer  time.Duration
	lastOffer   time.Duration
	firstAnswer time.Duration
	lastAnswer  time.Duration
	lastEnd     time.Duration
	startedAt   time.Duration // last transition to Originating
	stoppedAt   time.Duration
	killing     bool
	// killCause is the cause of the hupall in progress (killing), given
	// to the calls it takes down.
	killCause    string
	records      []CallOutcome
	changed      chan struct{}
	winOffered   ring
	winAnswered  ring
	rrServer     int
	recordsWake  chan struct{}
	recordsDone  chan struct{}
	pendingFlush []chan struct{}
}

// New builds an Originator over pool. It resolves each server's default
// destination (its own SIP address) unless the request names one, and
// starts the pacer in state Initial. Load apps with LoadApp or LoadSpec,
// then Start.
func New(ctx context.Context, pool *cluster.Pool, cfg Config) (*Originator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
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
		mgr:            appkit.NewManager(pool),
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
	o.tr = newTraffic(&cfg)
	o.duration, o.autoDuration = cfg.Duration, cfg.Duration <= 0
	o.recomputeDuration()
	for i, c := range pool.Clients() {
		s := &server{idx: i, c: c, addr: c.Addr(), byCause: map[string]uint64{}, setup: newHist(), create: newHist(),
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
		o.unobserve = append(o.unobserve, s.c.Observe(func(e *cluster.Event) { o.observe(s, e) }))
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
