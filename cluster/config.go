package cluster

import (
	"log/slog"
	"time"

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
	// a dialer's hupall selects its calls by it. A client that has loaded
	// no app under it reads on: HeaderApp then names the app id of a far
	// end (see DefaultAppIDHeaders).
	HeaderAppID = "X-switchio_app_id"
)

// DefaultAppIDHeaders returns the headers read, in order, for a new
// session's app id: the dispatch header first, then the app name switchio
// sent (or dial --app-header's value), then a plain channel variable set
// by a dialplan. The first value naming an app id loaded on the client
// wins; when none does, the first value present (the call is then counted
// unrouted, Counters.Unrouted); with none present, DefaultAppID.
func DefaultAppIDHeaders() []string {
	return []string{"variable_sip_h_" + HeaderAppID, "variable_sip_h_" + HeaderApp, "variable_switchio_app"}
}

// DefaultCorrelationHeaders returns the headers read, in order, for a new
// session's call key: the originating-session SIP header the dialer
// injects, then the call uuid.
func DefaultCorrelationHeaders() []string {
	return []string{"variable_sip_h_" + HeaderOriginatingSession, "variable_switchio_originating_session", "Channel-Call-UUID"}
}

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
	// ESL tunes the connection; its Password and EventHandler fields are
	// ignored (the client handles events on the connection's reader). Its
	// EventQueueSize bounds the events held while a reconnect resyncs
	// (default 100000): past it the new connection ends as a slow consumer.
	ESL esl.Config
	// Format of the event subscription (default plain).
	Format wire.Format
	// AppIDHeaders pick a new session's app id (default
	// DefaultAppIDHeaders): the first value naming an app id loaded on the
	// client, else the first value present, else DefaultAppID.
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
	// EventBuffer bounds the unread events one EventStream
	// (Session.Events) holds (default DefaultEventBuffer, 64). Beyond it
	// the loop drops rather than waits: see EventStream for the policy.
	EventBuffer int
	// Logger receives the client's logs (nil discards them).
	Logger *slog.Logger
}

func (cfg *Config) setDefaults() {
	if cfg.Password == "" {
		cfg.Password = "ClueCon"
	}
	if cfg.AppIDHeaders == nil {
		cfg.AppIDHeaders = DefaultAppIDHeaders()
	}
	if cfg.CorrelationHeaders == nil {
		cfg.CorrelationHeaders = DefaultCorrelationHeaders()
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
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = DefaultEventBuffer
	}
	if cfg.FailedPerCause <= 0 {
		cfg.FailedPerCause = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}
