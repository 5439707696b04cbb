package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/internal/goid"
)

// Client controls one FreeSWITCH server: one connection, one event loop that
// tracks sessions, calls and jobs and dispatches events to apps.
type Client struct {
	addr string
	cfg  Config
	log  *slog.Logger
	pool *Pool
	reg  *callRegistry

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	flowMu sync.Mutex // orders flows.Add against Close's flows.Wait
	flows  sync.WaitGroup

	connMu    sync.RWMutex
	conn      *esl.Conn
	connected chan struct{} // closed while connected; replaced on loss
	lost      bool          // connection lost for good (NoReconnect)

	subMu      sync.Mutex
	subs       map[string]bool
	subsOnWire map[string]bool // what the last connect subscribed

	sessMu   sync.RWMutex
	sessions map[string]*Session

	appsMu   sync.Mutex
	apps     map[string][]*loadedApp
	appsView atomic.Pointer[map[string][]*loadedApp]

	obsMu     sync.Mutex
	observers atomic.Pointer[[]*observer]

	jobsMu  sync.Mutex
	ownJobs map[string]struct{} // Job-UUIDs of this client's pending jobs

	cmdq  cmdQueue
	inbox inbox

	counters counters
	closed   atomic.Bool
	closeErr error
	once     sync.Once
}

// loopKey marks the context handlers receive on the event loop. It changes
// no command's behaviour: waiting methods called with it fail with
// ErrWouldBlock instead of stalling (or deadlocking) the loop.
type loopKey struct{}

// onLoop tells whether a waiting method is called from an event handler:
// with the loop's context, or with any other context (context.Background()
// included) on the goroutine that is running the handlers now. Either way
// it would stall the loop, or deadlock it when the handler runs on the
// connection's reader, which alone can read the awaited reply.
func (c *Client) onLoop(ctx context.Context) bool {
	return ctx.Value(loopKey{}) != nil || c.inHandler()
}

// inHandler tells whether the calling goroutine is running event handlers
// now.
func (c *Client) inHandler() bool {
	g := c.inbox.handler.Load()
	return g != 0 && g == goid.ID()
}

// Dial connects to the server at addr, subscribes to the events the client
// needs and starts its event loop. It fails when the first connection fails
// (refused, bad password): reconnecting only applies once a client ran.
func Dial(ctx context.Context, addr string, cfg Config) (*Client, error) {
	return dial(ctx, addr, cfg, nil, newCallRegistry())
}

func dial(ctx context.Context, addr string, cfg Config, pool *Pool, reg *callRegistry) (*Client, error) {
	cfg.setDefaults()
	c := &Client{
		addr:     addr,
		cfg:      cfg,
		log:      cfg.Logger.With("server", addr),
		pool:     pool,
		reg:      reg,
		subs:     map[string]bool{},
		sessions: map[string]*Session{},
		apps:     map[string][]*loadedApp{},
		ownJobs:  map[string]struct{}{},
	}
	c.counters.init()
	empty := map[string][]*loadedApp{}
	c.appsView.Store(&empty)
	for _, e := range baseEvents {
		c.subs[e] = true
	}
	c.inbox.limit = cfg.ESL.EventQueueSize
	if c.inbox.limit <= 0 {
		c.inbox.limit = defaultHeldEvents
	}
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c.conn = conn
	c.connected = make(chan struct{})
	close(c.connected)
	c.startSenders()
	c.wg.Add(1)
	go c.run(conn)
	return c, nil
}

// connect dials, authenticates and subscribes.
func (c *Client) connect(ctx context.Context) (*esl.Conn, error) {
	ecfg := c.cfg.ESL
	ecfg.Password = c.cfg.Password
	ecfg.EventHandler = c.deliverer()
	if ecfg.Logger == nil {
		ecfg.Logger = c.cfg.Logger
	}
	conn, err := esl.Dial(ctx, c.addr, ecfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", c.addr, err)
	}
	if err := conn.Subscribe(ctx, c.cfg.Format, c.subscriptions()...); err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribe on %s: %w", c.addr, err)
	}
	return conn, nil
}

func (c *Client) subscriptions() []string {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	evs := make([]string, 0, len(c.subs))
	c.subsOnWire = make(map[string]bool, len(c.subs))
	for e := range c.subs {
		evs = append(evs, e)
		c.subsOnWire[e] = true
	}
	sort.Strings(evs)
	return evs
}

// Subscribe adds events to the client's subscription (kept across
// reconnects). Names already subscribed are skipped.
func (c *Client) Subscribe(ctx context.Context, events ...string) error {
	c.subMu.Lock()
	var add []string
	for _, e := range events {
		e = normalizeKey(e)
		if e == "" || c.subs[e] || slices.Contains(add, e) {
			continue
		}
		add = append(add, e)
	}
	if len(add) > 0 && c.inHandler() {
		// The server's reply would have to be read by this goroutine.
		c.subMu.Unlock()
		return fmt.Errorf("subscribe %v from an event handler: %w", add, ErrWouldBlock)
	}
	for _, e := range add {
		c.subs[e] = true
	}
	c.subMu.Unlock()
	if len(add) == 0 {
		return nil
	}
	conn := c.Conn()
	if conn == nil {
		return nil // applied on reconnect
	}
	if err := conn.Subscribe(ctx, c.cfg.Format, add...); err != nil {
		return fmt.Errorf("subscribe %v on %s: %w", add, c.addr, err)
	}
	return nil
}

// Logger returns the client's logger (Config.Logger), for apps to warn
// on.
func (c *Client) Logger() *slog.Logger { return c.log }

// Addr returns the server's event socket address.
func (c *Client) Addr() string { return c.addr }

// Conn returns the current connection, nil while reconnecting.
func (c *Client) Conn() *esl.Conn {
	c.connMu.RLock()
	defer c.connMu.RUnlock()
	return c.conn
}

// waitConn returns the connection, waiting for a reconnect if needed.
func (c *Client) waitConn(ctx context.Context) (*esl.Conn, error) {
	for {
		c.connMu.RLock()
		conn, ready, lost := c.conn, c.connected, c.lost
		c.connMu.RUnlock()
		if conn != nil {
			return conn, nil
		}
		if lost {
			return nil, ErrDisconnected
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.ctx.Done():
			return nil, ErrClientClosed
		}
	}
}

// ErrClientClosed is returned by calls on a closed client.
var ErrClientClosed = errors.New("cluster: client closed")

// ErrDisconnected is returned by calls on a client whose connection was lost
// with Config.NoReconnect set: it will not come back.
var ErrDisconnected = errors.New("cluster: connection lost (reconnecting disabled)")

// API runs an api command and returns its output (see esl.Conn.API).
// Called from an event handler it fails with ErrWouldBlock: it waits for
// a reply the handler's goroutine would have to read.
func (c *Client) API(ctx context.Context, cmd string) (string, error) {
	if c.inHandler() {
		return "", fmt.Errorf("api from an event handler: %w", ErrWouldBlock)
	}
	conn, err := c.waitConn(ctx)
	if err != nil {
		return "", err
	}
	return conn.API(ctx, cmd)
}

// BgAPI starts a background api command (see esl.Conn.BgAPI); it waits
// for the server to accept the job, so an event handler gets
// ErrWouldBlock (Session.Queue sends commands from handlers).
func (c *Client) BgAPI(ctx context.Context, cmd string) (*esl.Job, error) {
	if c.inHandler() {
		return nil, fmt.Errorf("bgapi from an event handler: %w", ErrWouldBlock)
	}
	conn, err := c.waitConn(ctx)
	if err != nil {
		return nil, err
	}
	return c.bgapi(ctx, conn, cmd, "")
}

// BgAPIWithJobUUID is BgAPI with a caller-chosen Job-UUID.
func (c *Client) BgAPIWithJobUUID(ctx context.Context, cmd, jobUUID string) (*esl.Job, error) {
	if c.inHandler() {
		return nil, fmt.Errorf("bgapi from an event handler: %w", ErrWouldBlock)
	}
	conn, err := c.waitConn(ctx)
	if err != nil {
		return nil, err
	}
	return c.bgapi(ctx, conn, cmd, jobUUID)
}

// bgapi starts a job under a Job-UUID registered before it is sent, so the
// loop can tell this client's BACKGROUND_JOB events from those of other
// connections to the server (FreeSWITCH sends every job's event to every
// subscriber): only its own count in Jobs and JobsFailed.
func (c *Client) bgapi(ctx context.Context, conn *esl.Conn, cmd, jobUUID string) (*esl.Job, error) {
	if jobUUID == "" {
		jobUUID = uuid.NewString()
	}
	c.jobsMu.Lock()
	c.ownJobs[jobUUID] = struct{}{}
	c.jobsMu.Unlock()
	job, err := conn.BgAPIWithJobUUID(ctx, cmd, jobUUID)
	if err != nil {
		c.jobsMu.Lock()
		delete(c.ownJobs, jobUUID)
		c.jobsMu.Unlock()
		return nil, err
	}
	c.counters.jobs.Add(1)
	return job, nil
}

// jobDone reports whether a BACKGROUND_JOB is one of this client's jobs,
// forgetting it.
func (c *Client) jobDone(jobUUID string) bool {
	c.jobsMu.Lock()
	defer c.jobsMu.Unlock()
	_, ok := c.ownJobs[jobUUID]
	delete(c.ownJobs, jobUUID)
	return ok
}

// jobsLost counts the jobs whose results were lost with the connection as
// failed.
func (c *Client) jobsLost() {
	c.jobsMu.Lock()
	n := len(c.ownJobs)
	clear(c.ownJobs)
	c.jobsMu.Unlock()
	c.counters.jobsFailed.Add(uint64(n))
}

// observer is one Observe registration (a pointer: its identity is what
// stop removes).
type observer struct{ f func(*Event) }

// Observe registers f to see every event before apps do, on the loop. It
// serves measurement and the dialer; f must not block. The returned func
// stops f seeing events (at once; it may be called more than once).
func (c *Client) Observe(f func(*Event)) (stop func()) {
	o := &observer{f}
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	var next []*observer
	if cur := c.observers.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, o)
	c.observers.Store(&next)
	return func() {
		c.obsMu.Lock()
		defer c.obsMu.Unlock()
		cur := c.observers.Load()
		if cur == nil {
			return
		}
		var next []*observer
		for _, x := range *cur {
			if x != o {
				next = append(next, x)
			}
		}
		c.observers.Store(&next)
	}
}

// Session returns the tracked session with this uuid, or nil.
func (c *Client) Session(uuid string) *Session {
	c.sessMu.RLock()
	defer c.sessMu.RUnlock()
	return c.sessions[uuid]
}

// Sessions returns the tracked sessions.
func (c *Client) Sessions() []*Session {
	c.sessMu.RLock()
	defer c.sessMu.RUnlock()
	out := make([]*Session, 0, len(c.sessions))
	for _, s := range c.sessions {
		out = append(out, s)
	}
	return out
}

// Hupall hangs up the server's channels with cause; when varName is set,
// only those whose variable varName equals value (FreeSWITCH's hupall).
// FreeSWITCH splits hupall's arguments on spaces with no quoting, so a
// cause, name or value holding white space (which would match other
// channels than asked) is refused with ErrBadArgument, as is an empty value.
func (c *Client) Hupall(ctx context.Context, cause, varName, value string) error {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	args := []string{cause}
	if varName != "" {
		args = append(args, varName, value)
	}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\r\n") {
			return fmt.Errorf("%w: hupall argument %q is empty or holds white space", ErrBadArgument, a)
		}
	}
	cmd := "hupall " + strings.Join(args, " ")
	_, err := c.API(ctx, cmd)
	return err
}

// SIPAddr returns the SIP address (host:port) a sofia profile is bound to,
// read from "sofia status profile <name>" (BIND-URL, else URL). For a
// profile the server does not have it fails with ErrNoProfile, naming the
// profiles it has.
func (c *Client) SIPAddr(ctx context.Context, profile string) (string, error) {
	if err := checkArgs(profile); err != nil {
		return "", err
	}
	out, err := c.API(ctx, "sofia status profile "+profile)
	if err != nil {
		return "", err
	}
	for _, key := range []string{"BIND-URL", "URL"} {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == key {
				u := f[1]
				u = strings.TrimPrefix(u, "sip:")
				if i := strings.IndexByte(u, '@'); i >= 0 {
					u = u[i+1:]
				}
				if i := strings.IndexByte(u, ';'); i >= 0 {
					u = u[:i]
				}
				return u, nil
			}
		}
	}
	return "", c.noProfile(ctx, profile, out)
}

// Close stops the loop, waits for it and for running flows (their ctx is
// cancelled), and closes the connection. It is idempotent. It must not be
// called from an event handler or a flow of this client, which it would
// wait for; call it from another goroutine (go c.Close()).
func (c *Client) Close() error {
	c.once.Do(func() {
		c.flowMu.Lock()
		c.closed.Store(true)
		c.flowMu.Unlock()
		c.cancel()
		// Either the loop installs a new connection before this (and it is
		// closed here) or it sees the cancelled ctx and closes it itself.
		c.connMu.Lock()
		conn := c.conn
		c.connMu.Unlock()
		if conn != nil {
			c.closeErr = conn.Close()
		}
		c.wg.Wait()
		c.flows.Wait()
	})
	return c.closeErr
}
