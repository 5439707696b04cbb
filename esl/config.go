package esl

import (
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

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

// eventQueueCap is the capacity of Events(): none with an EventHandler,
// which Events() never carries (its 100,000 slots were 800 KB a
// connection).
func eventQueueCap(cfg Config) int {
	if cfg.EventHandler != nil {
		return 0
	}
	return cfg.EventQueueSize
}
