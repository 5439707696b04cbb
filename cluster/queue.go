package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchio/switchio/esl"
)

// ErrQueueFull is returned by a queued command when the client's command
// queue already holds Config.QueueDepth commands: nothing was queued. It is
// esl.ErrQueueFull, so one errors.Is test covers a full queue in either
// layer.
var ErrQueueFull = esl.ErrQueueFull

// ErrWouldBlock is returned by the waiting Session methods (and Recv,
// GetVar, ExecuteWait) called with an event handler's context: the handler
// runs on the event loop, which would stop delivering events, the awaited
// reply's included, until the method returned. Use the queued form
// (Session.Queue) in a handler, or a flow (Registrar.Flow, Client.Go) for
// sequential logic.
var ErrWouldBlock = errors.New("cluster: waiting command called on the event loop; use Session.Queue or a flow")

// DefaultQueueDepth is Config.QueueDepth when left zero.
const DefaultQueueDepth = 10000

// DefaultSenders is Config.Senders when left zero.
const DefaultSenders = 64

// Queue is the queued form of a session's commands, for event handlers:
// each method checks its arguments, queues the command and returns at
// once, without waiting for the server; it never blocks the event loop.
// It fails only when the command cannot be queued: a bad argument
// (ErrBadArgument), a full queue (ErrQueueFull) or a closed client
// (ErrClientClosed).
//
// Queued commands of one session are sent in the order they were queued,
// each once the server acknowledged the previous one; those of different
// sessions are pipelined on the connection (see Config.Senders). A queued
// command that fails once sent (a -ERR reply, a lost connection) is logged
// and counted in Counters.CommandsFailed, unless the server's reply says
// the call is already gone (a hang-up crossed the command: logged at debug
// level only); a bgapi command's job result is
// not awaited (a failed job counts in Counters.JobsFailed).
type Queue struct{ s *Session }

// Queue returns the queued form of the session's commands. The waiting
// methods of Session are for flows, where they return the outcome.
func (s *Session) Queue() Queue { return Queue{s} }

// Execute queues a dialplan application (see Session.Execute).
func (q Queue) Execute(app, arg string) error { return q.s.client.queue(q.s, executeCmd(app, arg)) }

// Answer queues uuid_answer (see Session.Answer); CHANNEL_ANSWER tells when
// it happened.
func (q Queue) Answer() error { return q.s.client.queue(q.s, q.s.answerCmd()) }

// Hangup queues a hang-up with cause ("" = NORMAL_CLEARING).
func (q Queue) Hangup(cause string) error { return q.s.client.queue(q.s, q.s.hangupCmd(cause)) }

// Park queues uuid_park.
func (q Queue) Park() error { return q.s.client.queue(q.s, q.s.apiCmd("uuid_park")) }

// SchedHangup queues a server-side hang-up after d (see Session.SchedHangup).
func (q Queue) SchedHangup(d time.Duration, cause string) error {
	return q.s.client.queue(q.s, q.s.schedHangupCmd(d, cause))
}

// ClearTasks queues sched_del of the channel's scheduled tasks.
func (q Queue) ClearTasks() error { return q.s.client.queue(q.s, q.s.clearTasksCmd()) }

// SendDTMF queues digits to send (see Session.SendDTMF).
func (q Queue) SendDTMF(digits string, duration time.Duration) error {
	return q.s.client.queue(q.s, q.s.sendDTMFCmd(digits, duration))
}

// SchedDTMF queues digits scheduled after delay (see Session.SchedDTMF).
func (q Queue) SchedDTMF(delay time.Duration, digits string) error {
	return q.s.client.queue(q.s, q.s.schedDTMFCmd(delay, digits))
}

// Playback queues a playback (see Session.Playback).
func (q Queue) Playback(opts PlaybackOptions, files ...string) error {
	return q.s.client.queue(q.s, playbackCmd(opts, files))
}

// StartRecord queues record_session to path.
func (q Queue) StartRecord(path string) error {
	return q.s.client.queue(q.s, executeCmd("record_session", path))
}

// StopRecord queues stop_record_session of path.
func (q Queue) StopRecord(path string) error {
	return q.s.client.queue(q.s, executeCmd("stop_record_session", path))
}

// Record queues uuid_record (see Session.Record).
func (q Queue) Record(action, path string, limit time.Duration) error {
	return q.s.client.queue(q.s, q.s.recordCmd(action, path, limit))
}

// Echo queues the echo application.
func (q Queue) Echo() error { return q.s.client.queue(q.s, executeCmd("echo", "")) }

// BypassMedia queues uuid_media (see Session.BypassMedia).
func (q Queue) BypassMedia(on bool) error { return q.s.client.queue(q.s, q.s.bypassMediaCmd(on)) }

// StartAMD queues avmd_start.
func (q Queue) StartAMD() error { return q.s.client.queue(q.s, executeCmd("avmd_start", "")) }

// StopAMD queues avmd_stop.
func (q Queue) StopAMD() error { return q.s.client.queue(q.s, executeCmd("avmd_stop", "")) }

// Broadcast queues uuid_broadcast (see Session.Broadcast).
func (q Queue) Broadcast(path, leg string) error {
	return q.s.client.queue(q.s, q.s.broadcastCmd(path, leg))
}

// Bridge queues the bridge application to a dial string.
func (q Queue) Bridge(dialString string) error {
	return q.s.client.queue(q.s, executeCmd("bridge", dialString))
}

// BreakMedia queues uuid_break (see Session.BreakMedia).
func (q Queue) BreakMedia(all bool) error { return q.s.client.queue(q.s, q.s.breakMediaCmd(all)) }

// Mute queues a mute (see Session.Mute).
func (q Queue) Mute(direction string) error {
	return q.s.client.queue(q.s, q.s.muteCmd(direction, "1"))
}

// Unmute queues an unmute.
func (q Queue) Unmute(direction string) error {
	return q.s.client.queue(q.s, q.s.muteCmd(direction, "0"))
}

// Respond queues a SIP response (see Session.Respond).
func (q Queue) Respond(response string) error {
	return q.s.client.queue(q.s, executeCmd("respond", response))
}

// Deflect queues a REFER to uri.
func (q Queue) Deflect(uri string) error { return q.s.client.queue(q.s, executeCmd("deflect", uri)) }

// Speak queues TTS speech (see Session.Speak).
func (q Queue) Speak(engine, voice, text string) error {
	return q.s.client.queue(q.s, executeCmd("speak", engine+"|"+voice+"|"+text))
}

// SetVar queues uuid_setvar.
func (q Queue) SetVar(name, value string) error {
	return q.s.client.queue(q.s, q.s.setVarCmd(name, value))
}

// SetVars queues the commands of Session.SetVars, all or none.
func (q Queue) SetVars(vars map[string]string) error {
	cmds, err := q.s.setVarsCmds(vars)
	if err != nil {
		return err
	}
	return q.s.client.queue(q.s, cmds...)
}

// UnsetVar queues the removal of a channel variable.
func (q Queue) UnsetVar(name string) error { return q.s.client.queue(q.s, q.s.unsetVarCmd(name)) }

// cmdQueue is a client's command queue. Sessions with queued commands wait
// in ready, in turn; a session being sent is out of ready until its command
// is acknowledged, which keeps its commands in order while those of other
// sessions go out meanwhile. A Session's pending and inQueue fields are
// guarded by mu.
type cmdQueue struct {
	mu    sync.Mutex
	ready []*Session
	depth int // commands queued and not yet taken by a sender
	high  int // largest depth seen
	full  uint64
	wake  chan struct{} // capacity 1: ready is not empty
}

// queue queues cmds for s, all or none; it never blocks.
func (c *Client) queue(s *Session, cmds ...command) error {
	for _, cmd := range cmds {
		if cmd.err != nil {
			return cmd.err
		}
	}
	if c.ctx.Err() != nil {
		return fmt.Errorf("%s on %s: %w", cmds[0].what, s.uuid, ErrClientClosed)
	}
	q := &c.cmdq
	q.mu.Lock()
	if q.depth+len(cmds) > c.cfg.QueueDepth {
		q.full++
		q.mu.Unlock()
		return fmt.Errorf("%s on %s: %w (%d commands queued)", cmds[0].what, s.uuid, ErrQueueFull, c.cfg.QueueDepth)
	}
	q.depth += len(cmds)
	q.high = max(q.high, q.depth)
	s.pending = append(s.pending, cmds...)
	wake := false
	if !s.inQueue {
		s.inQueue = true
		q.ready = append(q.ready, s)
		wake = true
	}
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return nil
}

func (q *cmdQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// next takes the next session's next command, waiting until there is one;
// false once ctx is done.
func (q *cmdQueue) next(ctx context.Context) (*Session, command, bool) {
	for {
		q.mu.Lock()
		if len(q.ready) > 0 {
			s := q.ready[0]
			q.ready[0] = nil
			q.ready = q.ready[1:]
			cmd := s.pending[0]
			s.pending[0] = command{}
			s.pending = s.pending[1:]
			if len(s.pending) == 0 {
				s.pending = nil // let the backing array go
			}
			q.depth--
			more := len(q.ready) > 0
			q.mu.Unlock()
			if more {
				q.signal() // another sender may take the next session
			}
			return s, cmd, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, command{}, false
		}
	}
}

// sent puts s back in turn if it has more commands queued.
func (q *cmdQueue) sent(s *Session) {
	q.mu.Lock()
	more := len(s.pending) > 0
	if more {
		q.ready = append(q.ready, s)
	} else {
		s.inQueue = false
	}
	q.mu.Unlock()
	if more {
		q.signal()
	}
}

// startSenders starts Config.Senders goroutines that send queued commands.
func (c *Client) startSenders() {
	c.cmdq.wake = make(chan struct{}, 1)
	for range c.cfg.Senders {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for {
				s, cmd, ok := c.cmdq.next(c.ctx)
				if !ok {
					return
				}
				c.sendQueued(s, cmd)
				c.cmdq.sent(s)
			}
		}()
	}
}

// sendQueued sends one queued command and waits for its acknowledgement
// (not a job's result), waiting for a reconnect if needed.
func (c *Client) sendQueued(s *Session, cmd command) {
	conn, err := c.waitConn(c.ctx)
	if err == nil {
		_, err = s.send(c.ctx, conn, cmd)
	}
	switch {
	case err == nil || c.ctx.Err() != nil:
	case sessionGone(err):
		// The call ended before the command reached it (a hang-up
		// crossed it): nothing failed.
		c.log.Debug("queued command for a call already gone", "cmd", cmd.what, "session", s.uuid, "err", err)
	default:
		c.counters.commandsFailed.Add(1)
		c.log.Warn("queued command failed", "cmd", cmd.what, "session", s.uuid, "err", err)
	}
}
