package esl

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/switchio/switchio/esl/wire"
	"github.com/switchio/switchio/internal/rawsock"
)

// Event is a FreeSWITCH event as decoded by package wire: headers in wire
// order with verbatim names, and the body. It is an alias so that users of
// this package need not import wire.
type Event = wire.Event

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

	// requests recycles the connection's requests (getRequest,
	// putRequest). It is allocated apart from Conn: the runtime lists
	// every pool in use until two garbage collections have passed, and a
	// pool inside Conn would keep a closed connection and its queues
	// alive that long.
	requests *sync.Pool
}

// newConn returns a connection on nc configured by cfg (defaults applied);
// nothing runs until start.
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

		requests: &sync.Pool{New: newRequest},
	}
	c.rd = wire.NewReader(countingReader{nc, &c.bytesRead})
	c.rd.SetMaxFrameSize(cfg.MaxFrameSize)
	c.wcond.L = &c.mu
	return c
}

// start runs the writer and reader goroutines once the handshake is done.
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
