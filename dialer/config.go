package dialer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

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

// MaxRate is the highest rate, in calls per second, a dialer is given
// (Config.Rate, a stage's Rate, SetRate) and the live view accepts: far
// beyond what one controller offers, it catches typos and overflows.
const MaxRate = 1e6

// Errors.
var (
	// ErrNoApp is returned by Start when no app with a positive weight is
	// loaded.
	ErrNoApp = errors.New("dialer: no app with a positive weight loaded")
	// ErrClosed is returned by calls on a closed Originator.
	ErrClosed = errors.New("dialer: originator closed")
)

// switchio's own causes: the dialer records them for calls it gave up on
// or cancelled, whose end no server reported (docs/outcomes.md lists
// each; a test keeps the two in step). Such a call is abandoned when it
// was answered, failed otherwise, never completed.
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
	// CauseHupall: hung up by the dialer's Hupall (the live view's
	// hang-up, Shutdown).
	CauseHupall = "SWITCHIO_HUPALL"
	// CauseLostOnReconnect: the call's server was back after a lost
	// connection but no longer had the call (its end went unseen).
	CauseLostOnReconnect = "SWITCHIO_LOST_ON_RECONNECT"
	// CauseDisconnected: the connection to the call's server was lost
	// for good (cluster.Config.NoReconnect).
	CauseDisconnected = "SWITCHIO_DISCONNECTED"
)

// ownCause maps the cause of a session's end that the cluster client
// made up (cluster.SynthesizedHeader) to the dialer's.
func ownCause(synthesized string) string {
	switch synthesized {
	case "LOST_ON_RECONNECT":
		return CauseLostOnReconnect
	case "SERVER_DISCONNECTED":
		return CauseDisconnected
	}
	return CauseLost
}

// Config configures an Originator. Rate, Limit, MaxOffered, Duration and
// Ramp are initial values; each can be changed while running.
type Config struct {
	// ID names this dialer; its app ids are "<ID>-<app name>" and its
	// hupall only touches calls carrying them. Default: random.
	ID string
	// Rate is the target in calls per second over the whole pool
	// (fractional allowed; default DefaultRate, as dial's --rate).
	Rate float64
	// Limit caps concurrent calls ("erlangs") over the pool (default
	// DefaultLimit, as dial's --limit). A
	// call holds its slot from the moment it is offered until its last leg
	// is destroyed, so the servers never carry more.
	Limit int
	// MaxOffered stops offering after exactly this many calls (0: no cap;
	// dial's --max-offered defaults to 200 so that a bare command ends).
	MaxOffered uint64
	// Duration is how long a call is held from answer. 0 means automatic:
	// Limit/Rate + AutoDurationOffset, recomputed when they change (dial's
	// --duration defaults to 2 s; --duration 0 is this automatic hold).
	// Start logs a warning when Duration times Rate exceeds Limit: the
	// limit, not the rate, then paces the run.
	Duration time.Duration
	// AutoDurationOffset is added to Limit/Rate for the automatic duration
	// (default 5 s).
	AutoDurationOffset time.Duration
	// Ramp raises the rate linearly from 0 to Rate over this long at Start.
	Ramp time.Duration
	// Arrivals spaces the offers: Fixed (evenly, the default) or Poisson
	// (exponential gaps at the mean rate, drawn ahead on the schedule's
	// clock; ramps, stages and rate changes give a Poisson process of the
	// time-varying rate).
	Arrivals Arrivals
	// HoldDist draws each call's hold time (default HoldFixed: Duration).
	// The controller's hang-up and the server-side guard use each call's
	// own hold; draws are clipped at HoldClip times the mean.
	HoldDist HoldDist
	// Seed seeds the dialer's random streams (arrival gaps and holds) for
	// a repeatable run; 0 draws a random seed, reported in Summary.Seed
	// so the run can be repeated.
	Seed uint64
	// Stages is a load profile that replaces Rate and Ramp (setting
	// either with it is an error): from Start each stage ramps the rate
	// linearly from the previous stage's target (0 at first) to its own
	// over its duration, k6-style, and the dialer stops offering after
	// the last one (or at MaxOffered, if first). Each stage's start is in
	// the change log (Summary.Changes). SetRate and SetRamp abandon the
	// profile; Stop does not pause its clock. With an automatic Duration
	// the hold follows each stage's target (the highest rate of the
	// profile while a target is 0).
	Stages []Stage
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
	// call instead of the app's name, for far ends that key on it: a far
	// end controlled by switchio (serve, appkit.Service) dispatches the call
	// to the apps it loaded under that id, since it has none under the
	// dialer's own id in X-switchio_app_id (cluster.DefaultAppIDHeaders).
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
	OnCall func(CallOutcome)
	// OnServerDown is called when a server's connection is lost.
	OnServerDown func(addr string)
	// Logger receives the dialer's logs (nil discards them).
	Logger *slog.Logger
}

// validate refuses values New cannot use; before setDefaults, which
// fills zeros in.
func (c *Config) validate() error {
	if !(c.Rate >= 0) || c.Rate > MaxRate {
		return fmt.Errorf("dialer: rate %v must be a positive number, at most %g", c.Rate, MaxRate)
	}
	if c.Arrivals != Fixed && c.Arrivals != Poisson {
		return fmt.Errorf("dialer: arrivals %v unknown", c.Arrivals)
	}
	if err := c.HoldDist.Validate(); err != nil {
		return fmt.Errorf("dialer: %w", err)
	}
	if len(c.Stages) > 0 {
		if c.Rate != 0 || c.Ramp > 0 {
			return errors.New("dialer: Stages set the rate: Rate and Ramp must be left 0 with them")
		}
		if err := CheckStages(c.Stages); err != nil {
			return fmt.Errorf("dialer: %w", err)
		}
	}
	return nil
}

// Defaults shared by Config and the dial command's flags.
const (
	// DefaultRate is the target rate, calls per second.
	DefaultRate = 50
	// DefaultLimit is the concurrent-call limit.
	DefaultLimit = 1000
)

func (c *Config) setDefaults() {
	if c.ID == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.ID = "dial" + hex.EncodeToString(b[:])
	}
	if c.Rate <= 0 && len(c.Stages) == 0 {
		c.Rate = DefaultRate
	}
	if c.Limit <= 0 {
		c.Limit = DefaultLimit
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
