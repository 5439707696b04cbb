package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
)

// DefaultAppID is the app id of events whose session names none.
const DefaultAppID = "default"

// SIP headers switchio puts on the calls it places (as sip_h_<name>
// channel variables, so they travel in the INVITE and reach the far leg as
// variable_sip_h_<name>).
const (
	// HeaderOriginatingSession carries the A leg's uuid: the call key that
	// joins the legs of one call across servers.
	HeaderOriginatingSession = "X-switchio_originating_session"
	// HeaderApp carries the app's name ("TonePlay", or a name the user
	// gives), as the original switchio did, so far-end services and
	// guards keyed on it match.
	HeaderApp = "X-switchio_app"
	// HeaderAppID carries the unique app id the call is dispatched to
	// (a dialer's "<dialer id>-<app>"); it is read before HeaderApp, and
	// a dialer's hupall selects its calls by it.
	HeaderAppID = "X-switchio_app_id"
)

// Default header lists.
var (
	// DefaultAppIDHeaders are read, in order, for a new session's app id:
	// the dispatch header first, then the app name switchio sent.
	DefaultAppIDHeaders = []string{"variable_sip_h_" + HeaderAppID, "variable_sip_h_" + HeaderApp, "variable_switchio_app"}
	// DefaultCorrelationHeaders are read, in order, for a new session's call
	// key: the originating-session SIP header the dialer injects, then the
	// call uuid.
	DefaultCorrelationHeaders = []string{"variable_sip_h_" + HeaderOriginatingSession, "variable_switchio_originating_session", "Channel-Call-UUID"}
)

// baseEvents are what the client itself needs to track sessions, calls and
// jobs; apps add theirs. The set is kept narrow on purpose: on a real
// FreeSWITCH "event plain ALL" costs ~52 events and ~300 KB per call, this
// set ~7 events.
var baseEvents = []string{"BACKGROUND_JOB", "CHANNEL_CREATE", "CHANNEL_ANSWER",
	"CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"}

// Config configures a Client. The zero value works against a default
// FreeSWITCH (password ClueCon).
type Config struct {
	// Password is the event socket password (default "ClueCon"). It never
	// appears in logs or errors.
	Password string
	// ESL tunes the connection; its Password field is ignored.
	ESL esl.Config
	// Format of the event subscription (default plain).
	Format wire.Format
	// AppIDHeaders pick a new session's app id (default DefaultAppIDHeaders).
	AppIDHeaders []string
	// CorrelationHeaders pick a new session's call key (default
	// DefaultCorrelationHeaders). Any header or variable_* works, for devices
	// that drop X-headers.
	CorrelationHeaders []string
	// KeepVariables lists headers copied into Session.Var at creation.
	KeepVariables []string
	// ReconnectMin and ReconnectMax bound the reconnect backoff
	// (defaults 100 ms and 5 s). NoReconnect disables reconnecting: once
	// the connection is lost, sessions end with cause SERVER_DISCONNECTED
	// and commands fail with ErrDisconnected.
	ReconnectMin, ReconnectMax time.Duration
	NoReconnect                bool
	// Senders bounds how many queued commands (Session.Queue) are being
	// sent at once: written and awaiting the server's acknowledgement
	// (default DefaultSenders, 64). Commands of different sessions are
	// pipelined on the connection, up to this many; those of one session
	// go one after the other, each once the previous one was acknowledged,
	// so they reach FreeSWITCH in the order queued.
	Senders int
	// QueueDepth bounds the queued commands waiting for a sender (default
	// DefaultQueueDepth, 10000), as while the server is slow or the
	// connection is being re-established. Queueing never blocks the event
	// loop: beyond the depth a command fails at once with ErrQueueFull,
	// counted in Counters.QueueFull (Counters.Queued and QueueHighWater
	// report the depth).
	QueueDepth int
	// FailedPerCause bounds how many failed session uuids are kept per
	// hang-up cause (default 1000).
	FailedPerCause int
	// Logger receives the client's logs (nil discards them).
	Logger *slog.Logger
}

func (cfg *Config) setDefaults() {
	if cfg.Password == "" {
		cfg.Password = "ClueCon"
	}
	if cfg.AppIDHeaders == nil {
		cfg.AppIDHeaders = DefaultAppIDHeaders
	}
	if cfg.CorrelationHeaders == nil {
		cfg.CorrelationHeaders = DefaultCorrelationHeaders
	}
	if cfg.ReconnectMin <= 0 {
		cfg.ReconnectMin = 100 * time.Millisecond
	}
	if cfg.ReconnectMax <= 0 {
		cfg.ReconnectMax = 5 * time.Second
	}
	if cfg.Senders <= 0 {
		cfg.Senders = DefaultSenders
	}
	if cfg.QueueDepth <= 0 {
		cfg.QueueDepth = DefaultQueueDepth
	}
	if cfg.FailedPerCause <= 0 {
		cfg.FailedPerCause = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

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
	observers atomic.Pointer[[]func(*Event)]

	jobsMu  sync.Mutex
	ownJobs map[string]struct{} // Job-UUIDs of this client's pending jobs

	cmdq cmdQueue

	counters counters
	closed   atomic.Bool
	closeErr error
	once     sync.Once
}

// loopKey marks the context handlers receive on the event loop. It changes
// no command's behaviour: waiting methods called with it fail with
// ErrWouldBlock instead of stalling (or deadlocking) the loop.
type loopKey struct{}

func onLoop(ctx context.Context) bool { return ctx.Value(loopKey{}) != nil }

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
		if e == "" || c.subs[e] {
			continue
		}
		c.subs[e] = true
		add = append(add, e)
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
func (c *Client) API(ctx context.Context, cmd string) (string, error) {
	conn, err := c.waitConn(ctx)
	if err != nil {
		return "", err
	}
	return conn.API(ctx, cmd)
}

// BgAPI starts a background api command (see esl.Conn.BgAPI).
func (c *Client) BgAPI(ctx context.Context, cmd string) (*esl.Job, error) {
	conn, err := c.waitConn(ctx)
	if err != nil {
		return nil, err
	}
	return c.bgapi(ctx, conn, cmd, "")
}

// BgAPIWithJobUUID is BgAPI with a caller-chosen Job-UUID.
func (c *Client) BgAPIWithJobUUID(ctx context.Context, cmd, jobUUID string) (*esl.Job, error) {
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

// Observe registers f to see every event before apps do, on the loop. It
// serves measurement and the dialer; f must not block.
func (c *Client) Observe(f func(*Event)) {
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	var next []func(*Event)
	if cur := c.observers.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, f)
	c.observers.Store(&next)
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
// read from "sofia status profile <name>" (BIND-URL, else URL).
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
	return "", fmt.Errorf("sofia profile %s on %s: no BIND-URL in status", profile, c.addr)
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

// run is the event loop: it reads events, and reconnects when the
// connection drops.
func (c *Client) run(conn *esl.Conn) {
	defer c.wg.Done()
	loopCtx := context.WithValue(c.ctx, loopKey{}, true)
	for {
		c.consume(loopCtx, conn)
		if c.ctx.Err() != nil {
			conn.Close() // Close may have run before this conn was installed
			return
		}
		c.log.Warn("connection lost", "err", conn.Err())
		c.counters.disconnects.Add(1)
		c.jobsLost()
		c.connMu.Lock()
		c.conn = nil
		if c.cfg.NoReconnect {
			// waiters in waitConn fail instead of waiting for ever
			c.lost = true
		} else {
			c.connected = make(chan struct{})
		}
		c.connMu.Unlock()
		conn.Close()
		if c.cfg.NoReconnect {
			c.dropAllSessions(loopCtx, "SERVER_DISCONNECTED")
			<-c.ctx.Done()
			return
		}
		next := c.reconnect()
		if next == nil {
			return
		}
		conn = next
		c.resync(loopCtx, conn)
		c.connMu.Lock()
		if c.ctx.Err() != nil { // closed while reconnecting
			c.connMu.Unlock()
			conn.Close()
			return
		}
		c.conn = conn
		close(c.connected)
		c.connMu.Unlock()
		c.subscribeMissed(conn)
	}
}

// subscribeMissed subscribes, on a new connection, the events added by
// Subscribe after connect took its list and before the connection was
// installed: Subscribe saw no connection and left them to the reconnect.
func (c *Client) subscribeMissed(conn *esl.Conn) {
	c.subMu.Lock()
	var missed []string
	for e := range c.subs {
		if !c.subsOnWire[e] {
			missed = append(missed, e)
		}
	}
	c.subMu.Unlock()
	if len(missed) == 0 {
		return
	}
	sort.Strings(missed)
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if err := conn.Subscribe(ctx, c.cfg.Format, missed...); err != nil {
		c.log.Warn("subscribe after reconnect failed", "events", missed, "err", err)
	}
}

func (c *Client) consume(ctx context.Context, conn *esl.Conn) {
	events := conn.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			c.handle(ctx, ev)
		case <-c.ctx.Done():
			return
		}
	}
}

// reconnect redials with exponential backoff until it succeeds or the
// client closes.
func (c *Client) reconnect() *esl.Conn {
	delay := c.cfg.ReconnectMin
	for {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return nil
		}
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		conn, err := c.connect(ctx)
		cancel()
		if err == nil {
			c.log.Info("reconnected")
			c.counters.reconnects.Add(1)
			return conn
		}
		c.log.Warn("reconnect failed", "err", err, "retry_in", delay)
		delay *= 2
		if delay > c.cfg.ReconnectMax {
			delay = c.cfg.ReconnectMax
		}
	}
}

// resync reconciles tracked sessions with "show channels as json" after a
// reconnect. FreeSWITCH runs an api command in the connection's thread, so
// the events it sent before the listing's reply are already queued on the
// new connection when the reply arrives: they are handled first, and the
// channels they create are tracked with their full data (app id,
// correlation headers). Then sessions carried over from the lost connection
// that the server no longer has are ended, and channels still unknown (made
// while no connection was subscribed) are adopted from uuid_dump, which
// carries their variables. If the list cannot be read, sessions are kept
// (their events will still end them) rather than all declared lost.
func (c *Client) resync(ctx context.Context, conn *esl.Conn) {
	carried := make(map[string]bool)
	for _, s := range c.Sessions() {
		carried[s.uuid] = true
	}
	rctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	out, err := conn.API(rctx, "show channels as json")
	destroyed := c.drain(ctx, conn.Events(), len(conn.Events()))
	if err != nil {
		c.log.Warn("resync failed", "err", err)
		return
	}
	dump := func(ctx context.Context, uuid string) (*esl.Event, error) {
		out, err := conn.API(ctx, "uuid_dump "+uuid)
		if err != nil {
			return nil, err
		}
		return wire.ParseEventPlain([]byte(out))
	}
	if err := c.reconcile(rctx, ctx, out, carried, destroyed, dump); err != nil {
		c.log.Warn("resync failed", "err", err)
	}
}

// drain handles the next n events of events (those already queued) and
// returns the uuids whose CHANNEL_DESTROY was among them.
func (c *Client) drain(ctx context.Context, events <-chan *esl.Event, n int) map[string]bool {
	destroyed := make(map[string]bool)
	for ; n > 0; n-- {
		ev, ok := <-events
		if !ok {
			break
		}
		if ev.Name() == "CHANNEL_DESTROY" {
			destroyed[ev.UniqueID()] = true
		}
		c.handle(ctx, ev)
	}
	return destroyed
}

// parseChannels reads the rows of "show channels as json" by uuid.
func parseChannels(out string) (map[string]map[string]string, error) {
	var res struct {
		RowCount *int                `json:"row_count"`
		Rows     []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &res); err != nil {
		return nil, fmt.Errorf("show channels: %w (output %.80q)", err, out)
	}
	if res.RowCount == nil {
		return nil, fmt.Errorf("show channels: no row_count in %.80q", out)
	}
	live := make(map[string]map[string]string, len(res.Rows))
	for _, r := range res.Rows {
		if r["uuid"] != "" {
			live[r["uuid"]] = r
		}
	}
	return live, nil
}

// maxDumps bounds the uuid_dump commands in flight while adopting.
const maxDumps = 16

// reconcile applies a "show channels as json" listing to the tracked
// sessions; it runs on the loop (loopCtx) once the events that preceded the
// listing are handled. Only sessions in carried (tracked before the
// reconnect) can be ended for missing from the listing: one created since
// is live, or its CHANNEL_DESTROY is on its way. Listed channels neither
// tracked nor in destroyed are adopted from dump (nil, or a dump that
// fails for another reason than a -ERR reply, falls back to the listing's
// row); a -ERR means the channel is gone meanwhile.
func (c *Client) reconcile(ctx, loopCtx context.Context, out string, carried, destroyed map[string]bool,
	dump func(ctx context.Context, uuid string) (*esl.Event, error)) error {
	live, err := parseChannels(out)
	if err != nil {
		return err
	}
	for _, s := range c.Sessions() {
		row, ok := live[s.uuid]
		if !ok {
			if carried[s.uuid] {
				c.endSession(loopCtx, s, "LOST_ON_RECONNECT")
			}
			continue
		}
		if answeredState(row["callstate"]) {
			s.mu.Lock()
			if !s.answered { // CHANNEL_ANSWER came while we were away
				s.answered = true
				s.answeredAt = time.Now()
			}
			s.mu.Unlock()
		}
	}
	var unknown []string
	for uuid := range live {
		if c.Session(uuid) == nil && !destroyed[uuid] {
			unknown = append(unknown, uuid)
		}
	}
	sort.Strings(unknown)
	dumped := make([]*esl.Event, len(unknown))
	gone := make([]bool, len(unknown))
	if dump != nil {
		var wg sync.WaitGroup
		sem := make(chan struct{}, maxDumps)
		for i, uuid := range unknown {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				ev, err := dump(ctx, uuid)
				var cmdErr *esl.CommandError
				switch {
				case errors.As(err, &cmdErr):
					gone[i] = true
				case err != nil:
					c.log.Warn("uuid_dump failed, adopting from the channel list", "session", uuid, "err", err)
				case ev.UniqueID() == uuid:
					dumped[i] = ev
				}
			}()
		}
		wg.Wait()
	}
	for i, uuid := range unknown {
		if gone[i] {
			continue
		}
		row := live[uuid]
		ev := dumped[i]
		if ev == nil {
			ev = wire.NewEvent("CHANNEL_CREATE")
			ev.Add("Unique-ID", uuid)
			ev.Add("Call-Direction", row["direction"])
			ev.Add("Caller-Destination-Number", row["dest"])
			ev.Add("Caller-Caller-ID-Number", row["cid_num"])
			ev.Add("Channel-Call-UUID", row["call_uuid"])
		}
		s := c.newSession(ev)
		if answeredState(row["callstate"]) || ev.Get("Answer-State") == "answered" {
			s.mu.Lock()
			s.answered = true
			s.answerTime = ev.Time("Caller-Channel-Answered-Time")
			s.mu.Unlock()
		}
	}
	c.log.Info("resynchronised", "channels", len(live), "unknown", len(unknown))
	return nil
}

// answeredState reports whether a "show channels" callstate means the
// channel was answered.
func answeredState(callstate string) bool {
	switch callstate {
	case "ACTIVE", "HELD", "UNHELD":
		return true
	}
	return false
}

func (c *Client) dropAllSessions(ctx context.Context, cause string) {
	for _, s := range c.Sessions() {
		c.endSession(ctx, s, cause)
	}
}

// endSession forgets a session whose DESTROY will never come.
func (c *Client) endSession(ctx context.Context, s *Session, cause string) {
	s.mu.Lock()
	if !s.hungUp {
		s.hungUp = true
		s.cause = cause
		s.hungUpAt = time.Now()
	}
	s.mu.Unlock()
	ev := wire.NewEvent("CHANNEL_DESTROY")
	ev.Add("Unique-ID", s.uuid)
	ev.Add("Hangup-Cause", cause)
	c.destroy(ctx, s, &Event{Event: ev, Key: "CHANNEL_DESTROY", Session: s, Client: c})
}

func eventKey(ev *esl.Event) string {
	name := ev.Name()
	if name == "CUSTOM" {
		return "CUSTOM " + ev.Subclass()
	}
	return name
}

// handle runs on the loop for every event.
func (c *Client) handle(ctx context.Context, ev *esl.Event) {
	c.counters.events.Add(1)
	key := eventKey(ev)
	e := &Event{Event: ev, Key: key, Client: c}
	if key == "BACKGROUND_JOB" {
		if c.jobDone(ev.JobUUID()) && (strings.HasPrefix(ev.Body, "-ERR") || strings.HasPrefix(ev.Body, "-USAGE")) {
			c.counters.jobsFailed.Add(1)
		}
	} else if uuid := ev.UniqueID(); uuid != "" {
		s := c.Session(uuid)
		switch key {
		case "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_OUTGOING":
			if s == nil {
				s = c.newSession(ev)
			}
		case "CHANNEL_DESTROY":
		default:
			// A channel we have not seen (it predates the connection) is
			// adopted from its next channel event, but not from the
			// CHANNEL_STATE CS_DESTROY that follows CHANNEL_DESTROY: that
			// session would never be destroyed.
			if s == nil && strings.HasPrefix(key, "CHANNEL_") && ev.Get("Channel-State") != "CS_DESTROY" {
				s = c.newSession(ev)
			}
		}
		e.Session = s
		if s != nil {
			c.track(s, key, ev)
		}
	}
	if obs := c.observers.Load(); obs != nil {
		for _, f := range *obs {
			c.safe(e, "observer", func() { f(e) })
		}
	}
	c.dispatch(ctx, e)
	if e.Session != nil {
		e.Session.deliver(key, e)
		switch key {
		case "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE":
			e.Session.failWaiters(false)
		case "CHANNEL_DESTROY":
			c.destroy(ctx, e.Session, e)
		}
	}
}

func (c *Client) newSession(ev *esl.Event) *Session {
	// Header values are views into the parsed event's buffer (several KB):
	// everything the session keeps is copied, so the event can be freed.
	now := time.Now()
	s := &Session{
		client:      c,
		uuid:        strings.Clone(ev.UniqueID()),
		direction:   internDirection(ev.Direction()),
		appID:       strings.Clone(firstHeader(ev, c.cfg.AppIDHeaders, DefaultAppID)),
		createTime:  ev.Time("Caller-Channel-Created-Time"),
		createdAt:   now,
		destination: strings.Clone(ev.Get("Caller-Destination-Number")),
		callerID:    strings.Clone(ev.Get("Caller-Caller-ID-Number")),
	}
	if s.createTime.IsZero() {
		s.createTime = ev.Timestamp()
	}
	for _, k := range c.cfg.KeepVariables {
		if v := ev.Get(k); v != "" {
			if s.vars == nil {
				s.vars = map[string]string{}
			}
			s.vars[k] = strings.Clone(v)
		}
	}
	s.callKey = firstHeader(ev, c.cfg.CorrelationHeaders, s.uuid)
	if s.callKey == s.uuid {
		s.callKey = s.uuid // share the copy, not the event's view
	} else {
		s.callKey = strings.Clone(s.callKey)
	}
	call, _ := c.reg.join(s.callKey, s)
	s.call = call
	c.sessMu.Lock()
	c.sessions[s.uuid] = s
	c.sessMu.Unlock()
	c.counters.sessionsTotal.Add(1)
	c.counters.sessionsActive.Add(1)
	c.counters.perAppInc(s.appID)
	return s
}

// internDirection returns Call-Direction without keeping the event's buffer.
func internDirection(d string) string {
	switch d {
	case "inbound":
		return "inbound"
	case "outbound":
		return "outbound"
	}
	return strings.Clone(d)
}

// internCause returns a hang-up cause without keeping the event's buffer.
func internCause(cause string) string {
	switch cause {
	case "NORMAL_CLEARING":
		return "NORMAL_CLEARING"
	case "ORIGINATOR_CANCEL":
		return "ORIGINATOR_CANCEL"
	}
	return strings.Clone(cause)
}

func firstHeader(ev *esl.Event, names []string, def string) string {
	for _, n := range names {
		if v := ev.Get(n); v != "" {
			return v
		}
	}
	return def
}

// track updates a session from one of its events.
func (c *Client) track(s *Session, key string, ev *esl.Event) {
	switch key {
	case "CHANNEL_ANSWER":
		s.mu.Lock()
		if !s.answered {
			s.answered = true
			s.answerTime = ev.Time("Caller-Channel-Answered-Time")
			if s.answerTime.IsZero() {
				s.answerTime = ev.Timestamp()
			}
			s.answeredAt = time.Now()
		}
		s.mu.Unlock()
	case "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE":
		s.mu.Lock()
		if !s.hungUp {
			s.hungUp = true
			s.cause = internCause(ev.HangupCause())
			s.hangupTime = ev.Time("Caller-Channel-Hangup-Time")
			if s.hangupTime.IsZero() {
				s.hangupTime = ev.Timestamp()
			}
			s.hungUpAt = time.Now()
		}
		s.mu.Unlock()
	}
}

// destroy is the session destructor (CHANNEL_DESTROY; HANGUP_COMPLETE is
// racy across legs): counts the outcome and forgets the session.
func (c *Client) destroy(ctx context.Context, s *Session, e *Event) {
	c.sessMu.Lock()
	_, ok := c.sessions[s.uuid]
	delete(c.sessions, s.uuid)
	c.sessMu.Unlock()
	if !ok {
		return
	}
	s.mu.Lock()
	s.destroyed = true
	if s.cause == "" {
		s.cause = internCause(e.HangupCause())
	}
	cause, answered, call := s.cause, s.answered, s.call
	s.mu.Unlock()
	s.failWaiters(true)
	// Count before the session and call are seen gone: whoever sees
	// SessionsActive or ActiveCalls drop finds the outcome counted.
	c.counters.hangup(cause, answered, s.uuid, c.cfg.FailedPerCause)
	if call != nil {
		c.reg.leave(call, s, func() { c.counters.callsDone.Add(1) })
	}
	c.counters.sessionsActive.Add(-1)
}

// dispatch runs the handlers of the session's app id in load order. A
// handler's panic is logged with the call id and stops neither the other
// apps nor the loop.
func (c *Client) dispatch(ctx context.Context, e *Event) {
	apps := *c.appsView.Load()
	if len(apps) == 0 {
		return
	}
	id := DefaultAppID
	if e.Session != nil {
		id = e.Session.AppID()
	} else {
		id = firstHeader(e.Event, c.cfg.AppIDHeaders, DefaultAppID)
	}
	for _, la := range apps[id] {
		for _, h := range la.handlers[e.Key] {
			c.safe(e, la.name, func() { h(ctx, e) })
		}
	}
}

func (c *Client) safe(e *Event, who string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.counters.appPanics.Add(1)
			c.log.Error("app handler panicked", "app", who, "event", e.Key, "call", callID(e), "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f()
}

func callID(e *Event) string {
	if e == nil || e.Session == nil {
		return ""
	}
	if call := e.Session.Call(); call != nil {
		return call.Key()
	}
	return e.Session.uuid
}

// startFlow runs f in its own goroutine; its error or panic is logged.
// Flows are not started once Close has begun.
func (c *Client) startFlow(e *Event, f FlowFunc) {
	c.flowMu.Lock()
	if c.closed.Load() {
		c.flowMu.Unlock()
		return
	}
	c.flows.Add(1)
	c.flowMu.Unlock()
	key := ""
	if e != nil {
		key = e.Key
	}
	go func() {
		defer c.flows.Done()
		defer func() {
			if r := recover(); r != nil {
				c.counters.appPanics.Add(1)
				c.log.Error("flow panicked", "event", key, "call", callID(e), "panic", r, "stack", string(debug.Stack()))
			}
		}()
		if err := f(c.ctx, e); err != nil && !errors.Is(err, ErrHungUp) && c.ctx.Err() == nil {
			c.counters.flowErrors.Add(1)
			c.log.Warn("flow failed", "event", key, "call", callID(e), "err", err)
		}
	}()
}

// Go runs f as a flow of ev's call, in its own goroutine: Session methods
// called with its ctx wait for their results. Its error or panic is logged
// with the call id; Close waits for it (and cancels ctx). ev may be nil; Go
// may be called from any goroutine, and does nothing once Close has begun.
func (c *Client) Go(ev *Event, f func(ctx context.Context) error) {
	c.startFlow(ev, func(ctx context.Context, _ *Event) error { return f(ctx) })
}
