package esl

import (
	"errors"
	"net"
	"strings"
)

// Sentinel errors. Every error returned by this package that has one of
// these causes wraps it, so errors.Is works through added context.
var (
	// ErrRefused reports that the TCP connection was refused; the net error
	// is wrapped too.
	ErrRefused = errors.New("esl: connection refused")
	// ErrAuth reports that FreeSWITCH rejected the password ("-ERR invalid").
	ErrAuth = errors.New("esl: authentication failed")
	// ErrRejected reports a text/rude-rejection: the server's ACL refused
	// this client's address before authentication.
	ErrRejected = errors.New("esl: rejected by server access list")
	// ErrTimeout reports a dial or authentication deadline (DialTimeout,
	// AuthTimeout or a context deadline) that expired while connecting.
	ErrTimeout = errors.New("esl: timeout")
	// ErrClosed reports a request on, or pending on, a connection that has
	// ended. When the connection ended for another reason (a disconnect
	// notice, a read error) that cause is wrapped as well.
	ErrClosed = errors.New("esl: connection closed")
	// ErrSlowConsumer reports that the event or log queue was full under
	// OverflowDisconnect, so the connection was closed rather than lose an
	// event silently.
	ErrSlowConsumer = errors.New("esl: event queue overflow (slow consumer)")
	// ErrQueueFull reports a command refused at once because the
	// connection already holds Config.CommandQueueSize commands waiting to
	// be written or awaiting their reply. Nothing was sent and the
	// connection goes on; Stats.QueueFull counts these refusals.
	ErrQueueFull = errors.New("esl: command queue full")
	// ErrWriteTimeout reports that a command's context ended while its
	// frame was half written, because the peer stopped reading: the rest
	// of the stream could no longer be framed, so the connection was
	// closed. Err() wraps it; the caller whose context ended gets an error
	// wrapping it, ErrClosed and its ctx.Err(), the other pending commands
	// one wrapping ErrClosed and it. (A command that had not started to be
	// written when its context ended is simply dropped with ctx.Err().)
	ErrWriteTimeout = errors.New("esl: write interrupted mid-command")
)

// DisconnectError reports that the server ended the connection with a
// text/disconnect-notice, for example "The system is being shut down.\n" or
// "killed listener because of lost events\n".
type DisconnectError struct {
	Notice      string // body of the notice, verbatim
	Disposition string // Content-Disposition header, "" on inbound connections
}

// Error describes the notice.
func (e *DisconnectError) Error() string {
	return "esl: server disconnected: " + strings.TrimSpace(e.Notice)
}

// CommandError reports a command that FreeSWITCH answered with "-ERR ..."
// (or an api body starting with "-ERR" or "-USAGE").
type CommandError struct {
	Command string // the command line sent (auth commands are redacted)
	Reply   string // the Reply-Text or api body, without the trailing newline
	Usage   bool   // the reply was "-USAGE: ...": the arguments were wrong
}

// Error describes the failed command and FreeSWITCH's reply.
func (e *CommandError) Error() string {
	return "esl: " + e.Command + ": " + e.Reply
}

// NoReplyError reports a command that was written to the server but whose
// ctx ended before the reply came: the server is stuck, overloaded or
// slow. It wraps the ctx's error, so errors.Is(err, context.DeadlineExceeded)
// (or context.Canceled) holds. The late reply, if it ever comes, is
// discarded.
type NoReplyError struct {
	Command string // the command line sent (auth commands are redacted)
	Err     error  // ctx.Err()
}

// Error names the command left without a reply and why the wait ended.
func (e *NoReplyError) Error() string {
	return "esl: no reply to \"" + e.Command + "\": " + e.Err.Error()
}

// Unwrap returns the ctx's error.
func (e *NoReplyError) Unwrap() error { return e.Err }

// redact hides passwords in command lines that may end up in errors or logs.
func redact(cmd string) string {
	if i := strings.IndexByte(cmd, '\n'); i >= 0 {
		cmd = cmd[:i]
	}
	l := strings.ToLower(cmd)
	if strings.HasPrefix(l, "auth ") || strings.HasPrefix(l, "userauth ") {
		return cmd[:strings.IndexByte(cmd, ' ')] + " <redacted>"
	}
	return cmd
}

// closedErr returns the error given to requests and jobs that outlive the
// connection: ErrClosed, wrapping the reason when there is another one.
func closedErr(cause error) error {
	if cause == nil || errors.Is(cause, ErrClosed) {
		return ErrClosed
	}
	return &closedError{cause: cause}
}

type closedError struct{ cause error }

func (e *closedError) Error() string   { return ErrClosed.Error() + ": " + e.cause.Error() }
func (e *closedError) Unwrap() []error { return []error{ErrClosed, e.cause} }

// isTimeout reports whether err is a network timeout (a deadline passed).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
