package esl

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/switchio/switchio/esl/wire"
)

// readLoop is the reader goroutine: it reads frames and dispatches them
// until the connection ends, then runs finish.
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

// countingReader counts the bytes read from r into n (Stats.BytesRead).
type countingReader struct {
	r io.Reader
	n *atomic.Uint64
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n.Add(uint64(n))
	return n, err
}
