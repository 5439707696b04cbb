package fsemu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// Config configures one emulated FreeSWITCH server. The zero value is a
// server like the one the captures were recorded on: ESL on a free loopback
// port, password ClueCon, loopback-only ACL, a private SIP network.
type Config struct {
	// ListenAddr is the ESL listen address; default "127.0.0.1:0".
	ListenAddr string
	// Password is the ESL password; default "ClueCon".
	Password string
	// SIPAddr is the host:port of the sofia profile "external", the address
	// other servers on the same Network dial. Default: 127.0.0.1 with a
	// port unique within the network, starting at 5080 (steps of 2).
	// Profile "internal" sits on the same host, port-20.
	SIPAddr string
	// Hostname is reported as FreeSWITCH-Hostname and by "hostname";
	// default "fsemu".
	Hostname string
	// IPv4 and IPv6 are reported in FreeSWITCH-IPv4/-IPv6; defaults
	// "127.0.0.1" and "::1".
	IPv4, IPv6 string
	// AllowRemote lets non-loopback clients connect; otherwise they get
	// FreeSWITCH's rude rejection (its default loopback.auto ACL).
	AllowRemote bool
	// ACL, when set, decides which client addresses may connect instead
	// (apply-inbound-acl); rejected clients get the rude rejection.
	ACL func(ip net.IP) bool
	// AuthTimeout is how long a new connection may stay silent before it
	// is dropped (FreeSWITCH: 25 s).
	AuthTimeout time.Duration
	// HeartbeatInterval is the HEARTBEAT period (20 s); negative disables.
	HeartbeatInterval time.Duration
	// MaxSessions and SessionsPerSecond are the fsctl limits; defaults 2000
	// and 200 (the captured server's configuration). Over them an
	// originate fails with DESTINATION_OUT_OF_ORDER, as sofia does.
	MaxSessions, SessionsPerSecond int
	// Clock is the time source; default the wall clock. Servers on one
	// Network should share a clock.
	Clock Clock
	// Network is the SIP network the server joins; nil creates a private
	// one. Servers on the same Network can call each other by SIP address.
	Network *Network
	// Inbound decides how calls arriving at this server are handled;
	// the zero value parks them (the captured dialplan).
	Inbound Inbound
	// Impairments are faults in the media this server's channels receive
	// (lost or reordered DTMF, audio loss, muted calls); the zero value has
	// none. SetImpairments changes them while the server runs.
	Impairments Impairments
	// Seed seeds the random source used for rates and jitter (0: fixed seed 1).
	Seed int64
	// Capacity enables the CPU capacity model when non-nil.
	Capacity *Capacity
	// Gateways maps sofia gateway names to SIP addresses
	// ("sofia/gateway/<name>/<user>" dials <user>@<address>).
	Gateways map[string]string
	// Context overrides the dialplan context of inbound sofia calls
	// (default "switchio" on profile external, "default" on internal).
	Context string
	// Contexts lists extra dialplan contexts loopback calls may target
	// besides default, public and switchio.
	Contexts []string
	// VerboseEvents starts with "fsctl verbose_events on".
	VerboseEvents bool
	// ClockTick is the period of the clock the server stamps its events
	// and channel times from (Event-Date-Timestamp, Caller-Channel-*-Time,
	// variable_*_uepoch ...): a vanilla FreeSWITCH advances that clock
	// once per soft-timer tick, 20 ms (DefaultClockTick, the default
	// here) or 1 ms with switch.conf.xml's 1ms-timer, so times within one
	// tick are equal (tick.go). ExactClock (any negative value) stamps
	// exact times. Only what the server sends is ticked: its timers and
	// media run on the exact Clock.
	ClockTick time.Duration
}

// Network is an in-process SIP network: the servers on it reach each
// other through sofia dial strings naming their SIP addresses. All servers
// of a Network share one lock, so cross-server call state stays consistent.
type Network struct {
	mu       sync.Mutex
	servers  map[string]*Server // by SIP host:port (both profiles)
	nextPort int
	links    map[[2]string]Link
	proxies  map[string]bool
}

// NewNetwork returns an empty SIP network.
func NewNetwork() *Network {
	return &Network{servers: map[string]*Server{}, nextPort: 5080, links: map[[2]string]Link{}, proxies: map[string]bool{}}
}

// Server is one emulated FreeSWITCH. Its exported methods are safe for
// concurrent use.
type Server struct {
	cfg      Config
	net      *Network
	clock    Clock
	ln       net.Listener
	coreUUID string
	started  time.Time
	sipAddr  string
	intAddr  string
	rng      *rand.Rand
	// tickUs is the timestamp clock's period in µs (0: exact) and
	// tickPhase a time on its grid, the server's start (tick.go).
	tickUs, tickPhase int64

	denied atomic.Pointer[map[string]bool] // api commands answered "-ERR permission denied"
	api    map[string]apiFunc              // the api commands (newAPITable), never written after Start
	frames framePool                       // event frames for reuse (frame.go)

	// guarded by net.mu
	seq         uint64
	conns       map[*conn]struct{}
	channels    map[string]*channel
	order       []*channel // creation order, compacted lazily
	globals     []kv
	sessionID   uint64
	sinceStart  uint64
	peak        int
	maxSessions int
	sps         int
	spsLeft     int
	lastSPS     int
	peakSPS     int
	peakSPS5    int // sps peak of the current five-minute window
	spsTicks    int // seconds into that window
	verbose     bool
	loglevel    int
	closed      bool
	callsIn     int
	callsOut    int
	failedIn    int
	failedOut   int
	hbTimer     Timer
	spsTimer    Timer
	capacity    *capState
	imps        []impEpoch // impairments over time, the current one last
	commands    map[string]int
	dateSec     int64
	dateLocal   string
	dateGMT     string
	sizeHint    [numEventTypes][3]int // recent frame payload size per event type and format
	queueLimit  int                   // per-connection event queue (MAX_QUEUE_LEN)
	sched       scheduler             // sched_* tasks (sched.go)
	console     consoleState          // mod_console settings (console.go)
	scratch     wire.Event
	intern      interner // variable header names, line numbers (intern.go)

	stats struct {
		commands atomic.Int64
	}
	wg      sync.WaitGroup
	done    chan struct{}
	closeMu sync.Mutex
}

type kv struct{ k, v string }

// Start starts an emulated server. It listens at once; ctx only bounds the
// start-up (use Close to stop the server).
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Password == "" {
		cfg.Password = "ClueCon"
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "fsemu"
	}
	if cfg.IPv4 == "" {
		cfg.IPv4 = "127.0.0.1"
	}
	if cfg.IPv6 == "" {
		cfg.IPv6 = "::1"
	}
	if cfg.AuthTimeout == 0 {
		cfg.AuthTimeout = 25 * time.Second
	}
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = 20 * time.Second
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = 2000
	}
	if cfg.SessionsPerSecond == 0 {
		cfg.SessionsPerSecond = 200
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Network == nil {
		cfg.Network = NewNetwork()
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.ClockTick == 0 {
		cfg.ClockTick = DefaultClockTick
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.ListenAddr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:         cfg,
		net:         cfg.Network,
		clock:       cfg.Clock,
		ln:          ln,
		coreUUID:    uuid.NewString(),
		conns:       map[*conn]struct{}{},
		channels:    map[string]*channel{},
		maxSessions: cfg.MaxSessions,
		sps:         cfg.SessionsPerSecond,
		spsLeft:     cfg.SessionsPerSecond,
		verbose:     cfg.VerboseEvents,
		loglevel:    7,
		rng:         rand.New(rand.NewSource(cfg.Seed)),
		done:        make(chan struct{}),
		commands:    map[string]int{},
		queueLimit:  maxQueueLen,
		api:         newAPITable(),
	}
	s.started = s.clock.Now()
	if cfg.ClockTick > 0 {
		s.tickUs = max(int64(cfg.ClockTick/time.Microsecond), 1)
		s.tickPhase = s.started.UnixMicro()
	}
	s.sched.s = s
	s.imps = []impEpoch{{from: math.MinInt64, im: cfg.Impairments.clean()}}
	if cfg.Capacity != nil {
		s.capacity = newCapState(*cfg.Capacity)
	}
	n := s.net
	n.mu.Lock()
	if cfg.SIPAddr == "" {
		for {
			a := "127.0.0.1:" + strconv.Itoa(n.nextPort)
			n.nextPort += 2
			if n.servers[a] == nil {
				cfg.SIPAddr = a
				break
			}
		}
	}
	if n.servers[cfg.SIPAddr] != nil {
		n.mu.Unlock()
		ln.Close()
		return nil, fmt.Errorf("fsemu: SIP address %s already in use on this network", cfg.SIPAddr)
	}
	s.cfg.SIPAddr = cfg.SIPAddr
	s.sipAddr = cfg.SIPAddr
	host, port, _ := net.SplitHostPort(cfg.SIPAddr)
	p, _ := strconv.Atoi(port)
	s.intAddr = net.JoinHostPort(host, strconv.Itoa(p-20))
	n.servers[s.sipAddr] = s
	if n.servers[s.intAddr] == nil {
		n.servers[s.intAddr] = s
	}
	s.globals = []kv{
		{"hostname", cfg.Hostname}, {"local_ip_v4", cfg.IPv4}, {"local_ip_v6", cfg.IPv6},
		{"domain", host}, {"domain_name", host}, {"switch_serial", "fsemu"},
		{"base_dir", "/usr/local/freeswitch"}, {"sounds_dir", "/usr/local/freeswitch/sounds"},
		{"recordings_dir", "/usr/local/freeswitch/recordings"}, {"temp_dir", "/tmp"},
		{"sound_prefix", "/usr/local/freeswitch/sounds/en/us/callie"},
		{"external_sip_port", port}, {"internal_sip_port", strconv.Itoa(p - 20)},
	}
	s.scheduleHeartbeat()
	s.scheduleSPS()
	n.mu.Unlock()

	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// RunT starts a server for a test and closes it when the test ends.
func RunT(t testing.TB, cfg ...Config) *Server {
	t.Helper()
	var c Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	s, err := Start(context.Background(), c)
	if err != nil {
		t.Fatalf("fsemu: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Addr returns the ESL address (host:port) clients dial.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// SIPAddr returns the host:port of sofia profile "external"; other servers
// reach this one with "sofia/external/<user>@<SIPAddr>".
func (s *Server) SIPAddr() string { return s.sipAddr }

// Password returns the ESL password.
func (s *Server) Password() string { return s.cfg.Password }

// Hostname returns the reported hostname.
func (s *Server) Hostname() string { return s.cfg.Hostname }

// CoreUUID returns the server's Core-UUID.
func (s *Server) CoreUUID() string { return s.coreUUID }

// Network returns the SIP network the server is on.
func (s *Server) Network() *Network { return s.net }

// Clock returns the server's clock.
func (s *Server) Clock() Clock { return s.clock }

// Close shuts the server down as "fsctl shutdown" would for its clients:
// every connection gets the shutdown disconnect notice; channels are
// dropped silently. It waits for the server's goroutines and is idempotent.
func (s *Server) Close() { s.shutdown(true) }

// Kill stops the server abruptly: connections are reset without notices,
// channels vanish, and calls to it from other servers fail.
func (s *Server) Kill() { s.shutdown(false) }

func (s *Server) shutdown(graceful bool) {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	n := s.net
	n.mu.Lock()
	if s.closed {
		n.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.closed = true
	close(s.done)
	if n.servers[s.sipAddr] == s {
		delete(n.servers, s.sipAddr)
	}
	if n.servers[s.intAddr] == s {
		delete(n.servers, s.intAddr)
	}
	if s.hbTimer != nil {
		s.hbTimer.Stop()
	}
	if s.spsTimer != nil {
		s.spsTimer.Stop()
	}
	s.sched.stop()
	// Far legs on other servers lose their peer; originates waiting on
	// this server's channels end (their clients are going away too).
	for _, ch := range s.channels {
		ch.stopTimers()
		if done := ch.done; done != nil {
			ch.done = nil
			done("-ERR SYSTEM_SHUTDOWN\n")
		}
		if p := ch.peer; p != nil && p.s != s && !p.gone() {
			p.peer = nil
			p.s.hangup(p, "NORMAL_TEMPORARY_FAILURE")
		}
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	n.mu.Unlock()
	s.ln.Close()
	for _, c := range conns {
		if graceful {
			c.closeWithNotice(noticeShutdown)
			c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		} else {
			c.abort()
		}
	}
	s.wg.Wait()
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.done:
				return
			default:
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		s.serve(nc)
	}
}

// lock and unlock guard all state of the network the server is on.
func (s *Server) lock()   { s.net.mu.Lock() }
func (s *Server) unlock() { s.net.mu.Unlock() }

func (s *Server) nowMicros() int64 { return s.clock.Now().UnixMicro() }

func (s *Server) getGlobal(name string) (string, bool) {
	for _, g := range s.globals {
		if g.k == name {
			return g.v, true
		}
	}
	return "", false
}

func (s *Server) setGlobal(name, v string) {
	for i, g := range s.globals {
		if g.k == name {
			s.globals[i].v = v
			return
		}
	}
	s.globals = append(s.globals, kv{name, v})
}

func (s *Server) scheduleHeartbeat() {
	if s.cfg.HeartbeatInterval < 0 {
		return
	}
	s.hbTimer = s.clock.AfterFunc(s.cfg.HeartbeatInterval, func() {
		s.lock()
		defer s.unlock()
		if s.closed {
			return
		}
		s.fireHeartbeat()
		s.scheduleHeartbeat()
	})
}

func (s *Server) scheduleSPS() {
	s.spsTimer = s.clock.AfterFunc(time.Second, func() {
		s.lock()
		defer s.unlock()
		if s.closed {
			return
		}
		s.spsSecond()
		s.scheduleSPS()
	})
}
