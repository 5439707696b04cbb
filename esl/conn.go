package esl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/switchio/switchio/esl/wire"
	"github.com/switchio/switchio/internal/rawsock"
)

// Event is a FreeSWITCH event as decoded by package wire: headers in wire
// order with verbatim names, and the body. It is an alias so that users of
// this package need not import wire.
type Event = wire.Event

// OverflowPolicy says what a connection does when its event (or log) queue
// is full because the application does not read Events() (or Logs()) fast
// enough. Events are never dropped silently.
type OverflowPolicy int

const (
	// OverflowDisconnect closes the connection with ErrSlowConsumer, as
	// FreeSWITCH itself kills listeners that lose events. It keeps replies
	// flowing and memory bounded; the application reconnects. Default.
	OverflowDisconnect OverflowPolicy = iota
	// OverflowBlock makes the reader wait for room: backpressure reaches
	// FreeSWITCH through TCP. Replies to commands wait behind the blocked
	// event too, so a caller must not wait for a reply while it is the one
	// that should drain Events().
	OverflowBlock
)

// String names the policy.
func (p OverflowPolicy) String() string {
	switch p {
	case OverflowDisconnect:
		return "disconnect"
	case OverflowBlock:
		return "block"
	}
	return "OverflowPolicy(" + strconv.Itoa(int(p)) + ")"
}

// Config configures a connection. The zero value is usable except for
// Password, which inbound connections need.
type Config struct {
	// Password is sent with "auth". It never appears in logs or errors.
	Password string
	// DialTimeout bounds the TCP connect; default 5s.
	DialTimeout time.Duration
	// AuthTimeout bounds the handshake (auth/request and the auth reply,
	// or the outbound connect reply); default 5s.
	AuthTimeout time.Duration
	// MaxFrameSize is the largest frame accepted; default
	// wire.DefaultMaxFrameSize (FreeSWITCH's own limit).
	MaxFrameSize int
	// EventQueueSize is the capacity of Events() and of Logs(); default
	// 100000, FreeSWITCH's MAX_QUEUE_LEN per listener.
	EventQueueSize int
	// Overflow chooses what happens when a queue is full.
	Overflow OverflowPolicy
	// EventHandler, when set, receives every event in order on the
	// connection's reader goroutine instead of Events(), which then stays
	// empty until it is closed at the end. It saves each event a hand-off
	// between goroutines, most of an event's cost at low rates where
	// events arrive one at a time. It must return quickly and must not
	// wait for anything of this connection (a reply, a job, Close): the
	// reader reads nothing more until it returns. A non-nil error ends the
	// connection with that error.
	EventHandler func(*Event) error
	// CommandQueueSize bounds the commands a connection holds at once:
	// those waiting to be written plus those written and awaiting their
	// reply (including replies whose caller gave up: their place is kept
	// until the reply arrives, see the package documentation). A command
	// beyond the limit fails at once with ErrQueueFull instead of piling
	// up behind a server that has stopped answering. Default 10000.
	CommandQueueSize int
	// Logger receives connection-level diagnostics; nil discards them.
	Logger *slog.Logger
	// Dialer, when set, is used for inbound connections (local address,
	// keep-alive, ...). Its Timeout is overridden by DialTimeout.
	Dialer *net.Dialer
}

// DefaultCommandQueueSize is Config.CommandQueueSize when left zero.
const DefaultCommandQueueSize = 10000

func (c Config) withDefaults() Config {
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = 5 * time.Second
	}
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = wire.DefaultMaxFrameSize
	}
	if c.EventQueueSize <= 0 {
		c.EventQueueSize = 100000
	}
	if c.CommandQueueSize <= 0 {
		c.CommandQueueSize = DefaultCommandQueueSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// LogLine is one log/data frame, delivered on Logs() after Log().
type LogLine struct {
	Level    int    // Log-Level: 0 (CONSOLE) .. 7 (DEBUG)
	Channel  int    // Text-Channel
	File     string // Log-File
	Func     string // Log-Func
	Line     int    // Log-Line
	UserData string // User-Data: usually the channel uuid, may be empty
	Text     string // the log line itself
	Headers  []wire.Header
}

// Stats is a snapshot of a connection's counters, for monitoring queues and
// throughput.
type Stats struct {
	Frames          uint64 // frames read
	BytesRead       uint64
	BytesWritten    uint64
	EventsReceived  uint64 // event frames read
	EventsQueued    int    // events waiting in Events() now
	EventsHighWater int    // largest EventsQueued seen
	// BytesUnread is what the host has received on the connection and
	// the reader has not read yet (Linux; 0 elsewhere). With an
	// EventHandler, events do not queue in Events(): those a handler has
	// not caught up with wait here.
	BytesUnread  int
	LogsReceived uint64
	LogsQueued   int
	InFlight     int // requests written and not yet answered (incl. abandoned slots)
	JobsPending  int // background jobs whose BACKGROUND_JOB has not arrived
	// Queued counts commands waiting to be written. Queued + InFlight is
	// what Config.CommandQueueSize bounds.
	Queued int
	// QueueFull counts commands refused with ErrQueueFull.
	QueueFull uint64
	// EventsUndecodable counts event frames whose body could not be
	// decoded and were skipped (they are included in EventsReceived).
	EventsUndecodable uint64
}

// Conn is a client connection to FreeSWITCH's event socket. All methods are
// safe for concurrent use; see the package documentation for the model.
type Conn struct {
	nc   net.Conn
	cfg  Config
	log  *slog.Logger
	rd   *wire.Reader
	addr string

	wake  chan struct{} // capacity 1: the writer has work
	wdone chan struct{} // closed when the writer goroutine has exited
	wbuf  []byte        // the writer's frame buffer; writer goroutine only

	hsWait string // what the handshake waits for, named in its timeout errors; handshake only

	mu      sync.Mutex // guards the fields below
	queue   []*request // commands waiting for the writer, in arrival order
	pending []*request // FIFO of commands written (or being written), awaiting a reply
	// The writer's current batch: writing is true from the moment it
	// takes commands off queue until it has dealt with the outcome of the
	// write; those commands have batch == batchID.
	batchID     uint64
	writing     bool
	interrupted bool      // a caller set a past write deadline to stop the write
	widle       bool      // the writer waits for wake
	wcond       sync.Cond // on mu: an interrupted batch has ended
	jobs        map[string]*Job
	err         error // why the connection ended; set once
	closing     bool
	exiting     bool
	lingered    bool

	subMu      sync.Mutex // serialises subscription changes
	format     wire.Format
	bgSub      bool // BACKGROUND_JOB is subscribed on the wire
	userBgJobs bool // the application subscribed BACKGROUND_JOB (or ALL) itself

	events  chan *Event
	logs    chan *LogLine
	quit    chan struct{} // closed when the connection starts ending
	done    chan struct{} // closed when it has ended and the reader and writer are gone
	linger  chan struct{} // closed on a linger disconnect-notice (outbound)
	quitOne sync.Once

	frames, bytesRead, bytesWritten, eventsRx, logsRx atomic.Uint64
	queueFull, undecodable                            atomic.Uint64
	// encoded is the last batch whose frames the writer has encoded: it
	// reads the requests' fields until then, so no reply may be handed
	// over for a later batch (see dispatch).
	encoded   atomic.Uint64
	highWater atomic.Int64
}

type result struct {
	msg *wire.Message
	err error
}

// request is one command from the moment it is queued until its reply (or
// failure) is handed over. ch receives at most one result, sent by the
// reader or by finish after it took the request off pending or queue under
// Conn.mu, marking it taken.
type request struct {
	prefix, cmd string // the command line is prefix+cmd ("api " + cmd)
	headers     []wire.Header
	body        []byte
	onReply     func(*wire.Message) // run by the reader before ch gets the reply
	ch          chan result         // buffered 1: nobody blocks sending on it

	// Guarded by Conn.mu.
	queued  bool   // in Conn.queue
	batch   uint64 // the writer batch that took it
	expired bool   // its caller's ctx ended while its batch was being written
	dropped bool   // not written, and never will be: withdrawn after expired
	taken   bool   // its result is on its way to ch
}

// requests recycles requests whose result was received by their caller, or
// that were withdrawn before the writer took them: nothing reads their
// fields any more (the writer's batch may still point to one, but reads it
// no more once encoded, see Conn.encoded).
var requests = sync.Pool{New: func() any { return &request{ch: make(chan result, 1)} }}

func putRequest(r *request) {
	*r = request{ch: r.ch}
	requests.Put(r)
}

// maxBatch bounds how many queued commands the writer takes per write.
const maxBatch = 256

// Dial connects to FreeSWITCH at addr (host:port), waits for auth/request
// and authenticates with cfg.Password. ctx bounds the whole handshake; it
// does not bound the connection's life afterwards (use Close).
func Dial(ctx context.Context, addr string, cfg Config) (*Conn, error) {
	cfg = cfg.withDefaults()
	if strings.ContainsAny(cfg.Password, "\r\n") {
		return nil, fmt.Errorf("%w: password contains a line break", ErrAuth)
	}
	d := net.Dialer{}
	if cfg.Dialer != nil {
		d = *cfg.Dialer
	}
	d.Timeout = cfg.DialTimeout
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, fmt.Errorf("%w: dial %s: %w", ErrTimeout, addr, ctx.Err())
		case ctx.Err() != nil:
			return nil, fmt.Errorf("esl: dial %s: %w", addr, ctx.Err())
		case errors.Is(err, syscall.ECONNREFUSED):
			return nil, fmt.Errorf("%w: %w", ErrRefused, err)
		case isTimeout(err):
			return nil, fmt.Errorf("%w: dial %s: %w", ErrTimeout, addr, err)
		}
		return nil, fmt.Errorf("esl: dial %s: %w", addr, err)
	}
	c := newConn(nc, cfg)
	c.addr = addr
	if err := c.handshake(ctx, func() error { return c.auth() }); err != nil {
		nc.Close()
		return nil, err
	}
	c.start()
	return c, nil
}

func newConn(nc net.Conn, cfg Config) *Conn {
	// Raw system calls for the socket's reads and writes: on Linux they
	// spare the runtime's monitor thread a wake-up after every idle
	// spell, most of a low-rate controller's CPU (internal/rawsock).
	nc = rawsock.Wrap(nc)
	c := &Conn{
		nc:     nc,
		cfg:    cfg,
		log:    cfg.Logger.With("remote", nc.RemoteAddr().String()),
		wake:   make(chan struct{}, 1),
		wdone:  make(chan struct{}),
		jobs:   make(map[string]*Job),
		events: make(chan *Event, eventQueueCap(cfg)),
		logs:   make(chan *LogLine, cfg.EventQueueSize),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		linger: make(chan struct{}),
	}
	c.rd = wire.NewReader(countingReader{nc, &c.bytesRead})
	c.rd.SetMaxFrameSize(cfg.MaxFrameSize)
	c.wcond.L = &c.mu
	return c
}

// eventQueueCap is the capacity of Events(): none with an EventHandler,
// which Events() never carries (its 100,000 slots were 800 KB a
// connection).
func eventQueueCap(cfg Config) int {
	if cfg.EventHandler != nil {
		return 0
	}
	return cfg.EventQueueSize
}

// handshake runs f synchronously (before the reader goroutine exists) under
// AuthTimeout and ctx, mapping deadline errors to ErrTimeout.
func (c *Conn) handshake(ctx context.Context, f func() error) error {
	dl := time.Now().Add(c.cfg.AuthTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.nc.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	err := f()
	what := "handshake"
	if c.hsWait != "" {
		what += ": waiting for " + c.hsWait
	}
	if !stop() && ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w: %s: %w", ErrTimeout, what, ctx.Err())
		}
		return fmt.Errorf("esl: %s: %w", what, ctx.Err())
	}
	if err != nil {
		if isTimeout(err) {
			if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
				// ctx's deadline fired the socket deadline: say both.
				return fmt.Errorf("%w: %s: %w", ErrTimeout, what, context.DeadlineExceeded)
			}
			return fmt.Errorf("%w: %s: %w", ErrTimeout, what, err)
		}
		return err
	}
	c.nc.SetDeadline(time.Time{})
	return nil
}

// readHandshakeFrame reads one frame during the handshake, turning
// rejections and notices into their errors.
func (c *Conn) readHandshakeFrame() (*wire.Message, error) {
	for {
		m, err := c.rd.ReadMessage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("esl: handshake: connection closed by peer: %w", err)
			}
			return nil, err
		}
		c.frames.Add(1)
		switch m.ContentType() {
		case wire.TypeRudeRejection:
			return nil, fmt.Errorf("%w: %s", ErrRejected, strings.TrimSpace(string(m.Body)))
		case wire.TypeDisconnectNotice:
			return nil, &DisconnectError{Notice: string(m.Body), Disposition: m.Get("Content-Disposition")}
		case wire.TypeEventPlain, wire.TypeEventJSON, wire.TypeEventXML, wire.TypeLogData:
			continue // cannot happen before auth; ignore rather than fail
		}
		return m, nil
	}
}

func (c *Conn) auth() error {
	c.hsWait = "auth/request"
	m, err := c.readHandshakeFrame()
	if err != nil {
		return err
	}
	if m.ContentType() != wire.TypeAuthRequest {
		return &wire.ProtocolError{Msg: "expected auth/request, got " + strconv.Quote(m.ContentType())}
	}
	buf := wire.AppendCommand(nil, "auth "+c.cfg.Password, nil, nil)
	c.hsWait = "the reply to \"auth <redacted>\""
	n, err := c.nc.Write(buf)
	c.bytesWritten.Add(uint64(n))
	if err != nil {
		return fmt.Errorf("esl: writing auth: %w", err)
	}
	m, err = c.readHandshakeFrame()
	if err != nil {
		return err
	}
	if m.ContentType() != wire.TypeCommandReply {
		return &wire.ProtocolError{Msg: "expected auth reply, got " + strconv.Quote(m.ContentType())}
	}
	if rt := m.ReplyText(); !strings.HasPrefix(rt, "+OK") {
		return fmt.Errorf("%w: %s", ErrAuth, rt)
	}
	return nil
}

func (c *Conn) start() {
	c.log.Debug("esl: connected")
	go c.writeLoop()
	go c.readLoop()
}

// Events returns the channel of events in the order FreeSWITCH sent them.
// It is closed when the connection ends. See OverflowPolicy for what
// happens when it is not drained. With Config.EventHandler set nothing is
// sent on it.
func (c *Conn) Events() <-chan *Event { return c.events }

// Logs returns the channel of log/data frames enabled by Log. It is bounded
// like Events() and follows the same OverflowPolicy; it is closed when the
// connection ends.
func (c *Conn) Logs() <-chan *LogLine { return c.logs }

// Done is closed when the connection has ended and its reader goroutine has
// exited; Err then reports why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err reports why the connection ended: ErrClosed after Close or Exit,
// a *DisconnectError, ErrSlowConsumer, ErrWriteTimeout, a
// *wire.ProtocolError or an I/O error. It is nil while the connection is alive, and set before Events()
// and Logs() are closed and before Done() is.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// RemoteAddr returns the server's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Stats returns a snapshot of the connection's counters.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	inflight, queued, jobs := len(c.pending), len(c.queue), len(c.jobs)
	c.mu.Unlock()
	unread, _ := rawsock.Unread(c.nc)
	return Stats{
		BytesUnread:       unread,
		Frames:            c.frames.Load(),
		BytesRead:         c.bytesRead.Load(),
		BytesWritten:      c.bytesWritten.Load(),
		EventsReceived:    c.eventsRx.Load(),
		EventsQueued:      len(c.events),
		EventsHighWater:   int(c.highWater.Load()),
		LogsReceived:      c.logsRx.Load(),
		LogsQueued:        len(c.logs),
		InFlight:          inflight,
		JobsPending:       jobs,
		Queued:            queued,
		QueueFull:         c.queueFull.Load(),
		EventsUndecodable: c.undecodable.Load(),
	}
}

// Close ends the connection: pending requests and jobs fail with ErrClosed,
// Events() and Logs() are closed, and Close returns once the reader
// goroutine has exited. It is idempotent and always returns nil.
func (c *Conn) Close() error {
	c.fail(ErrClosed)
	<-c.done
	return nil
}

// fail records the first reason the connection ends and unblocks the
// reader by closing the socket. It may be called from any goroutine.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	c.failLocked(err)
	c.mu.Unlock()
}

// failLocked is fail with c.mu held.
func (c *Conn) failLocked(err error) {
	if c.err == nil {
		c.err = err
	}
	c.closing = true
	c.quitOne.Do(func() {
		close(c.quit)
		c.nc.Close()
	})
}

// finish runs once, in the reader goroutine, after the read loop.
func (c *Conn) finish() {
	c.mu.Lock()
	ferr := closedErr(c.err)
	pending, queued := c.pending, c.queue
	c.pending, c.queue = nil, nil
	for _, r := range pending {
		r.taken = true
	}
	for _, r := range queued {
		r.taken = true
	}
	jobs := c.jobs
	c.jobs = map[string]*Job{}
	cause := c.err
	c.mu.Unlock()
	// fail closed quit and the socket, so the writer is on its way out;
	// it may still read the requests of its batch until it is gone.
	<-c.wdone
	for _, r := range pending {
		r.ch <- result{err: ferr}
	}
	for _, r := range queued {
		r.ch <- result{err: ferr}
	}
	for _, j := range jobs {
		j.complete("", ferr, nil)
	}
	close(c.events)
	close(c.logs)
	c.log.Debug("esl: connection ended", "reason", cause)
	close(c.done)
}

func (c *Conn) readLoop() {
	defer c.finish()
	for {
		// The frame is the reader's, reused by the next read: events are
		// parsed out of it (the parser copies), anything kept is cloned.
		m, err := c.rd.ReadFrame()
		if err != nil {
			var pe *wire.ProtocolError
			switch {
			case errors.As(err, &pe):
				c.fail(err)
			case errors.Is(err, io.EOF):
				c.mu.Lock()
				exiting := c.exiting
				c.mu.Unlock()
				if exiting {
					c.fail(ErrClosed) // closed after "exit", notice or not
				} else {
					c.fail(fmt.Errorf("esl: connection closed by peer: %w", err))
				}
			default:
				c.fail(fmt.Errorf("esl: read: %w", err))
			}
			return
		}
		c.frames.Add(1)
		if !c.dispatch(m) {
			return
		}
	}
}

// dispatch handles one frame in the reader goroutine; false ends the loop.
// m is valid only until the next read: whatever outlives the call is
// cloned or parsed into memory of its own.
func (c *Conn) dispatch(m *wire.Message) bool {
	ct := m.ContentType()
	if !wire.IsEventType(ct) {
		m = m.Clone()
	}
	switch ct {
	case wire.TypeCommandReply, wire.TypeAPIResponse:
		c.mu.Lock()
		var w *request
		// A reply to a command the writer has not even encoded yet cannot
		// be genuine: it is unsolicited like a reply with nothing pending.
		if len(c.pending) > 0 && c.pending[0].batch <= c.encoded.Load() {
			w = c.pending[0]
			w.taken = true
			c.pending[0] = nil
			c.pending = c.pending[1:]
		}
		c.mu.Unlock()
		if w == nil {
			c.fail(&wire.ProtocolError{Msg: "unsolicited " + ct + " frame"})
			return false
		}
		if w.onReply != nil {
			w.onReply(m)
		}
		w.ch <- result{msg: m}
	case wire.TypeEventPlain, wire.TypeEventJSON, wire.TypeEventXML:
		c.eventsRx.Add(1)
		ev, err := wire.ParseEvent(ct, m.Body)
		if err != nil {
			// The frame was whole (its Content-Length held), so the stream
			// is intact: skip the event rather than lose the connection.
			// One warning per connection; Stats counts them all.
			if c.undecodable.Add(1) == 1 {
				c.log.Warn("esl: skipping an undecodable event (later ones are counted in Stats.EventsUndecodable)", "content-type", ct, "error", err)
			} else {
				c.log.Debug("esl: skipping an undecodable event", "content-type", ct, "error", err)
			}
			return true
		}
		return c.deliverEvent(ev)
	case wire.TypeLogData:
		c.logsRx.Add(1)
		l := &LogLine{
			File: m.Get("Log-File"), Func: m.Get("Log-Func"), UserData: m.Get("User-Data"),
			Text: string(m.Body), Headers: m.Headers,
		}
		l.Level, _ = strconv.Atoi(m.Get("Log-Level"))
		l.Channel, _ = strconv.Atoi(m.Get("Text-Channel"))
		l.Line, _ = strconv.Atoi(m.Get("Log-Line"))
		return push(c, c.logs, l)
	case wire.TypeDisconnectNotice:
		if strings.EqualFold(m.Get("Content-Disposition"), "linger") {
			c.log.Debug("esl: linger notice", "channel", m.Get("Channel-Name"))
			c.mu.Lock()
			if !c.lingered {
				c.lingered = true
				close(c.linger)
			}
			c.mu.Unlock()
			return true
		}
		c.mu.Lock()
		exiting := c.exiting
		c.mu.Unlock()
		if exiting {
			c.fail(ErrClosed)
		} else {
			c.log.Info("esl: server disconnected", "notice", strings.TrimSpace(string(m.Body)))
			c.fail(&DisconnectError{Notice: string(m.Body), Disposition: m.Get("Content-Disposition")})
		}
		return false
	case wire.TypeRudeRejection:
		c.fail(fmt.Errorf("%w: %s", ErrRejected, strings.TrimSpace(string(m.Body))))
		return false
	default:
		// auth/request after the handshake, or a type this library does not
		// know: neither consumes a waiter, so it is safe to skip.
		c.log.Debug("esl: ignoring frame", "content-type", ct)
	}
	return true
}

func (c *Conn) deliverEvent(ev *Event) bool {
	if ev.Name() == "BACKGROUND_JOB" {
		if id := ev.JobUUID(); id != "" {
			c.mu.Lock()
			j := c.jobs[id]
			delete(c.jobs, id)
			wantEv := c.userBgJobs
			c.mu.Unlock()
			if j != nil {
				j.complete(ev.Body, jobErr(j.Command, ev.Body), ev)
				if !wantEv {
					return true
				}
			}
		}
	}
	if h := c.cfg.EventHandler; h != nil {
		if err := h(ev); err != nil {
			c.fail(err)
			return false
		}
		return true
	}
	if !push(c, c.events, ev) {
		return false
	}
	if n := int64(len(c.events)); n > c.highWater.Load() {
		c.highWater.Store(n) // only the reader writes it
	}
	return true
}

// push queues v on ch according to the overflow policy; false means the
// connection is ending.
func push[T any](c *Conn, ch chan T, v T) bool {
	if c.cfg.Overflow == OverflowBlock {
		select {
		case ch <- v:
			return true
		case <-c.quit:
			return false
		}
	}
	select {
	case ch <- v:
		return true
	default:
		c.log.Warn("esl: queue full, disconnecting", "capacity", cap(ch))
		c.fail(ErrSlowConsumer)
		return false
	}
}

// request queues one command for the writer and waits for its reply
// frame. The writer appends it to the FIFO of pending replies when it
// takes it off the queue, before writing it, so FIFO order equals wire
// order.
//
// If ctx ends first: a command still queued is withdrawn and never
// written; a command whose write is under way interrupts that write (see
// abandon); a command already written keeps its slot, so the late reply is
// consumed and discarded instead of shifting later replies, and the caller
// gets a *NoReplyError wrapping ctx.Err() at once.
func (c *Conn) request(ctx context.Context, prefix, cmd string, headers []wire.Header, body []byte, onReply func(*wire.Message)) (*wire.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := requests.Get().(*request)
	r.prefix, r.cmd, r.headers, r.body, r.onReply = prefix, cmd, headers, body, onReply
	c.mu.Lock()
	if c.closing {
		err := closedErr(c.err)
		c.mu.Unlock()
		putRequest(r)
		return nil, err
	}
	if len(c.queue)+len(c.pending) >= c.cfg.CommandQueueSize {
		c.mu.Unlock()
		putRequest(r)
		c.queueFull.Add(1)
		return nil, fmt.Errorf("%w: %s: %d commands queued or awaiting their reply", ErrQueueFull, redact(prefix+cmd), c.cfg.CommandQueueSize)
	}
	r.queued = true
	c.queue = append(c.queue, r)
	wake := c.widle
	c.widle = false
	c.mu.Unlock()
	if wake {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	select {
	case res := <-r.ch:
		putRequest(r)
		return res.msg, res.err
	case <-ctx.Done():
		return c.abandon(ctx, r)
	}
}

// aLongTimeAgo is a write deadline that has passed: setting it makes a
// blocked write return at once.
var aLongTimeAgo = time.Unix(1, 0)

// abandon deals with a request whose ctx ended before its result came.
func (c *Conn) abandon(ctx context.Context, r *request) (*wire.Message, error) {
	c.mu.Lock()
	if r.taken {
		// The reply (or the connection's end) raced with ctx and wins.
		c.mu.Unlock()
		res := <-r.ch
		putRequest(r)
		return res.msg, res.err
	}
	if r.queued {
		// Not yet taken by the writer: withdraw it.
		i := slices.Index(c.queue, r)
		c.queue = slices.Delete(c.queue, i, i+1)
		c.mu.Unlock()
		putRequest(r)
		return nil, ctx.Err()
	}
	if c.writing && r.batch == c.batchID {
		// Its frame is part of the write under way, which can only be
		// blocked because the peer stopped reading. Stop the write and
		// wait (briefly) for the writer to say how far it got: a command
		// that has not started reaching the wire is dropped, one cut in
		// the middle ends the connection (see writeDone).
		r.expired = true
		if !c.interrupted {
			c.interrupted = true
			c.nc.SetWriteDeadline(aLongTimeAgo)
		}
		for c.writing && r.batch == c.batchID {
			c.wcond.Wait()
		}
	}
	dropped := r.dropped
	var cutErr error
	if r.expired && c.closing && errors.Is(c.err, ErrWriteTimeout) {
		cutErr = fmt.Errorf("%w: %w", closedErr(c.err), ctx.Err())
	}
	c.mu.Unlock()
	switch {
	case dropped:
		return nil, ctx.Err()
	case cutErr != nil:
		return nil, cutErr
	}
	select {
	case res := <-r.ch: // a reply that raced with ctx wins
		putRequest(r)
		return res.msg, res.err
	default:
		// Written: the slot stays in pending, the reply will be dropped.
		return nil, &NoReplyError{Command: redact(r.prefix + r.cmd), Err: ctx.Err()}
	}
}

// writeLoop is the writer goroutine: it takes every queued command (up to
// maxBatch), appends them to the FIFO of pending replies, and writes their
// frames with one call, so concurrent callers share system calls.
func (c *Conn) writeLoop() {
	defer close(c.wdone)
	var batch []*request
	var ends []int // ends[i]: offset in wbuf just after batch[i]'s frame
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closing {
			c.widle = true
			c.mu.Unlock()
			select {
			case <-c.wake:
			case <-c.quit:
			}
			c.mu.Lock()
		}
		if c.closing {
			c.mu.Unlock()
			return
		}
		if k := len(c.queue); k <= maxBatch {
			batch, c.queue = c.queue, batch[:0]
		} else {
			batch = append(batch[:0], c.queue[:maxBatch]...)
			n := copy(c.queue, c.queue[maxBatch:])
			clear(c.queue[n:])
			c.queue = c.queue[:n]
		}
		c.batchID++
		for _, r := range batch {
			r.queued = false
			r.batch = c.batchID
		}
		c.pending = append(c.pending, batch...)
		c.writing = true
		c.mu.Unlock()

		c.wbuf, ends = c.wbuf[:0], ends[:0]
		for _, r := range batch {
			c.wbuf = append(c.wbuf, r.prefix...)
			c.wbuf = wire.AppendCommand(c.wbuf, r.cmd, r.headers, r.body)
			ends = append(ends, len(c.wbuf))
		}
		c.encoded.Store(c.batchID) // the writer alone changes batchID
		n, err := c.nc.Write(c.wbuf)
		c.bytesWritten.Add(uint64(n))
		ok := c.writeDone(batch, ends, n, err)
		clear(batch) // requests may be recycled from now on
		if cap(c.wbuf) > 1<<20 {
			c.wbuf = nil
		}
		if !ok {
			return
		}
	}
}

// writeDone settles a batch after its write returned n bytes and err. It
// reports whether the writer goes on.
//
// Only the requests that did not reach the wire (and the expired ones,
// whose callers wait in abandon) are touched: the others may already have
// their reply and be recycled.
func (c *Conn) writeDone(batch []*request, ends []int, n int, err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing = false
	interrupted := c.interrupted
	if interrupted {
		c.interrupted = false
		c.wcond.Broadcast() // the waiters run once mu is released, after the verdict below
		if !c.closing {
			c.nc.SetWriteDeadline(time.Time{})
		}
	}
	if err == nil {
		return true
	}
	if c.closing {
		return false // finish fails everything pending
	}
	i := 0 // the first frame not entirely written
	for i < len(ends) && ends[i] <= n {
		i++
	}
	start := 0
	if i > 0 {
		start = ends[i-1]
	}
	if interrupted && isTimeout(err) && n == start && c.withdraw(batch[i:]) {
		// Nothing of batch[i:] reached the wire: the stream is intact.
		// The expired commands are dropped, the others go back to the
		// head of the queue in their order.
		var again []*request
		for _, r := range batch[i:] {
			if r.expired {
				r.dropped = true
			} else {
				r.queued = true
				again = append(again, r)
			}
		}
		c.queue = append(again, c.queue...)
		return true
	}
	if interrupted && isTimeout(err) {
		// batch[i] may have been answered (by a peer that does not wait
		// for whole commands) and recycled: name it from its frame.
		frame := c.wbuf[start:ends[i]]
		line, _, _ := bytes.Cut(frame, []byte{'\n'})
		c.failLocked(fmt.Errorf("%w: %s: %d of %d bytes written", ErrWriteTimeout, redact(string(line)), n-start, len(frame)))
	} else {
		c.failLocked(fmt.Errorf("esl: write: %w", err))
	}
	return false
}

// withdraw removes tail, the unwritten end of the current batch, from the
// end of pending (only the writer appends to pending, so it is there
// unless a peer answered commands it had not received).
func (c *Conn) withdraw(tail []*request) bool {
	k := len(c.pending) - len(tail)
	if k < 0 {
		return false
	}
	for j, r := range tail {
		if c.pending[k+j] != r {
			return false
		}
	}
	clear(c.pending[k:])
	c.pending = c.pending[:k]
	return true
}

// SendCommand sends a raw command line with optional headers and body and
// returns the reply frame (command/reply or api/response). A command/reply
// whose Reply-Text starts with "-ERR" yields the frame and a *CommandError.
// It is the escape hatch for commands without a dedicated method.
func (c *Conn) SendCommand(ctx context.Context, cmd string, headers []wire.Header, body []byte) (*wire.Message, error) {
	if err := validate(cmd, headers); err != nil {
		return nil, err
	}
	return c.sendCommand(ctx, "", cmd, headers, body, nil)
}

// validate refuses line breaks that would let a value inject commands.
func validate(cmd string, headers []wire.Header) error {
	if strings.ContainsAny(cmd, "\r\n") {
		return fmt.Errorf("esl: command line contains a line break: %q", redact(cmd))
	}
	for _, h := range headers {
		if h.Name == "" || strings.ContainsAny(h.Name, "\r\n:") || strings.ContainsAny(h.Value, "\r\n") {
			return fmt.Errorf("esl: %s: header %q contains a line break or colon", redact(cmd), h.Name)
		}
	}
	return nil
}

func (c *Conn) sendCommand(ctx context.Context, prefix, cmd string, headers []wire.Header, body []byte, onReply func(*wire.Message)) (*wire.Message, error) {
	m, err := c.request(ctx, prefix, cmd, headers, body, onReply)
	if err != nil {
		return nil, err
	}
	if m.ContentType() == wire.TypeCommandReply {
		if rt := m.ReplyText(); strings.HasPrefix(rt, "-") {
			return m, &CommandError{Command: redact(prefix + cmd), Reply: rt, Usage: strings.HasPrefix(rt, "-USAGE")}
		}
	}
	return m, nil
}

// command sends cmd and returns its Reply-Text.
func (c *Conn) command(ctx context.Context, cmd string) (string, error) {
	m, err := c.SendCommand(ctx, cmd, nil, nil)
	if err != nil {
		return "", err
	}
	return m.ReplyText(), nil
}

// API runs "api cmd" and returns the output. FreeSWITCH runs api commands
// in the connection's own thread: until it returns, no events and no other
// replies flow on this connection, so use BgAPI for anything slow
// (originate, long sofia commands). A body starting with "-ERR" or
// "-USAGE" is returned together with a *CommandError.
func (c *Conn) API(ctx context.Context, cmd string) (string, error) {
	if err := validate(cmd, nil); err != nil {
		return "", err
	}
	m, err := c.sendCommand(ctx, "api ", cmd, nil, nil, nil)
	if err != nil {
		return "", err
	}
	body := string(m.Body)
	return body, apiErr("api ", cmd, body)
}

// apiErr returns the *CommandError of an api body starting with "-ERR" or
// "-USAGE"; the command line is prefix+cmd, only built for the error.
func apiErr(prefix, cmd, body string) error {
	if strings.HasPrefix(body, "-ERR") || strings.HasPrefix(body, "-USAGE") {
		return &CommandError{Command: redact(prefix + cmd), Reply: strings.TrimRight(body, "\r\n"), Usage: strings.HasPrefix(body, "-USAGE")}
	}
	return nil
}

// Exit sends "exit", waits for "+OK bye" and then for the server to close
// the connection (bounded by ctx). Err() is ErrClosed afterwards.
func (c *Conn) Exit(ctx context.Context) error {
	c.mu.Lock()
	c.exiting = true
	c.mu.Unlock()
	_, err := c.SendCommand(ctx, "exit", nil, nil)
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return nil
		}
		c.mu.Lock()
		c.exiting = false
		c.mu.Unlock()
		return err
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		c.Close()
		return ctx.Err()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

type countingReader struct {
	r io.Reader
	n *atomic.Uint64
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n.Add(uint64(n))
	return n, err
}
