package esl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// result is what a request's caller receives: the reply frame, or why
// there is none.
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

// newRequest is the New function of Conn.requests: a request with its
// result channel, which it keeps across uses.
func newRequest() any { return &request{ch: make(chan result, 1)} }

// getRequest returns a request from the connection's pool, cleared.
func (c *Conn) getRequest() *request { return c.requests.Get().(*request) }

// putRequest recycles a request whose result was received by its caller,
// or that was withdrawn before the writer took it: nothing reads its fields
// any more (the writer's batch may still point to it, but reads it no more
// once encoded, see Conn.encoded).
func (c *Conn) putRequest(r *request) {
	*r = request{ch: r.ch}
	c.requests.Put(r)
}

// maxBatch bounds how many queued commands the writer takes per write.
const maxBatch = 256

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
	r := c.getRequest()
	r.prefix, r.cmd, r.headers, r.body, r.onReply = prefix, cmd, headers, body, onReply
	c.mu.Lock()
	if c.closing {
		err := closedErr(c.err)
		c.mu.Unlock()
		c.putRequest(r)
		return nil, err
	}
	if len(c.queue)+len(c.pending) >= c.cfg.CommandQueueSize {
		c.mu.Unlock()
		c.putRequest(r)
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
		c.putRequest(r)
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
		c.putRequest(r)
		return res.msg, res.err
	}
	if r.queued {
		// Not yet taken by the writer: withdraw it.
		i := slices.Index(c.queue, r)
		c.queue = slices.Delete(c.queue, i, i+1)
		c.mu.Unlock()
		c.putRequest(r)
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
		c.putRequest(r)
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
