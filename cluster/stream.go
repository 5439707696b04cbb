package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultEventBuffer is Config.EventBuffer's default: the events an
// EventStream holds unread before it drops.
const DefaultEventBuffer = 64

// ErrEventsDropped is returned by EventStream.Next where events were lost
// because the stream's buffer (Config.EventBuffer) was full: the reader
// fell that far behind.
var ErrEventsDropped = errors.New("cluster: events dropped, stream buffer full")

// EventStream is a buffered, ordered subscription to some of a session's
// events, opened with Session.Events. Unlike Recv, which only sees events
// that arrive while it waits, a stream keeps every matching event from
// the moment it is opened until it is read: open it before the command
// that causes the events (a prompt, a uuid_send_dtmf), then read with
// Next or CollectDigits at leisure.
//
// The buffer is bounded (Config.EventBuffer). When it is full the event
// loop does not wait: the arriving event and those after it are dropped
// and counted (Counters.EventsDropped) until the reader has read what was
// buffered; Next then returns ErrEventsDropped once, at the place of the
// gap, and the stream goes on with the events that arrive after that.
//
// A stream ends when it is closed, when the ctx it was opened with is
// done, or when its session can no longer send its events (at hang-up,
// or at CHANNEL_DESTROY for events that still come after hang-up, see
// Recv): Next returns the events still buffered, then the reason. It is
// safe for concurrent use, but each event goes to one reader.
type EventStream struct {
	s     *Session
	keys  []string // nil: every event
	limit int

	mu      sync.Mutex
	buf     []*Event
	head    int           // index of the oldest unread event in buf
	dropped int           // events lost since the last report
	end     error         // why no more events come; nil while open
	ready   chan struct{} // signalled (capacity 1) on each change
	stop    func() bool   // releases the ctx watch
}

// Events opens a stream of the session's events called names (standard
// names or "CUSTOM sub::class"; none for every event), subscribing those
// not subscribed yet. It costs nothing for sessions without one: only
// sessions a flow opens a stream on buffer events. Close it when done
// (or let ctx end it); it ends by itself at the session's hang-up.
//
//	dtmf, err := s.Events(ctx, "DTMF") // before the prompt: nothing is lost
//	defer dtmf.Close()
//	_, err = s.ExecuteWait(ctx, "playback", prompt)
//	pin, err := dtmf.CollectDigits(ctx, cluster.DigitOptions{Max: 4, Terminators: "#"})
func (s *Session) Events(ctx context.Context, names ...string) (*EventStream, error) {
	var keys []string
	for _, n := range names {
		if k := normalizeKey(n); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		if err := s.client.Subscribe(ctx, keys...); err != nil {
			return nil, err
		}
	}
	st := &EventStream{s: s, keys: keys, limit: s.client.cfg.EventBuffer, ready: make(chan struct{}, 1)}
	s.mu.Lock()
	if s.destroyed || (s.hungUp && !st.afterHangup()) {
		s.mu.Unlock()
		return nil, fmt.Errorf("events %v of %s: %w", keys, s.uuid, ErrHungUp)
	}
	s.streams = append(s.streams, st)
	s.mu.Unlock()
	st.stop = context.AfterFunc(ctx, func() { st.Close() })
	return st, nil
}

// afterHangup reports whether the stream's events may still come once the
// channel hung up.
func (st *EventStream) afterHangup() bool {
	if len(st.keys) == 0 {
		return true
	}
	for _, k := range st.keys {
		if afterHangup(k) {
			return true
		}
	}
	return false
}

func (st *EventStream) wants(key string) bool {
	if len(st.keys) == 0 {
		return true
	}
	for _, k := range st.keys {
		if k == key {
			return true
		}
	}
	return false
}

// push buffers ev, or drops it when the buffer is full or a gap is not yet
// reported; called by the loop with the session's lock held. It reports
// whether ev was dropped.
func (st *EventStream) push(ev *Event) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.end != nil {
		return false
	}
	if st.dropped > 0 || len(st.buf)-st.head >= st.limit {
		st.dropped++
		return true
	}
	if st.head > 0 && len(st.buf) == cap(st.buf) { // reuse the read part
		n := copy(st.buf, st.buf[st.head:])
		clear(st.buf[n:])
		st.buf, st.head = st.buf[:n], 0
	}
	st.buf = append(st.buf, ev)
	st.signal()
	return false
}

// finish ends the stream with err (the first reason stays).
func (st *EventStream) finish(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.end == nil {
		st.end = err
		st.signal()
	}
}

func (st *EventStream) signal() {
	select {
	case st.ready <- struct{}{}:
	default:
	}
}

// Next returns the stream's next event, waiting for it. Once the stream
// has ended it returns the events still buffered, then ErrHungUp (the
// session hung up), ErrStreamClosed (Close or the opening ctx), or the
// error of ctx. ErrEventsDropped marks where events were lost. Called with
// an event handler's ctx it fails with ErrWouldBlock.
func (st *EventStream) Next(ctx context.Context) (*Event, error) {
	ev, _, err := st.next(ctx, nil, nil)
	return ev, err
}

// ErrStreamClosed is returned by Next once a closed stream is drained.
var ErrStreamClosed = errors.New("cluster: event stream closed")

// next is Next that also gives up when the digit or total timer fires
// (nil: never), saying which.
func (st *EventStream) next(ctx context.Context, digit, total <-chan time.Time) (*Event, DigitEnd, error) {
	if st.s.client.onLoop(ctx) {
		return nil, "", fmt.Errorf("events %v of %s: %w", st.keys, st.s.uuid, ErrWouldBlock)
	}
	for {
		st.mu.Lock()
		if st.head < len(st.buf) {
			ev := st.buf[st.head]
			st.buf[st.head] = nil
			st.head++
			if st.head == len(st.buf) {
				st.buf, st.head = st.buf[:0], 0
			}
			st.mu.Unlock()
			return ev, "", nil
		}
		if n := st.dropped; n > 0 {
			st.dropped = 0
			st.mu.Unlock()
			return nil, "", fmt.Errorf("%d events of %s: %w", n, st.s.uuid, ErrEventsDropped)
		}
		end := st.end
		st.mu.Unlock()
		if end != nil {
			return nil, "", fmt.Errorf("events %v of %s: %w", st.keys, st.s.uuid, end)
		}
		select {
		case <-st.ready:
		case <-digit:
			return nil, DigitsTimeout, nil
		case <-total:
			return nil, DigitsTotalTimeout, nil
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
}

// Close stops buffering and releases the stream; events still buffered
// can be read. It is idempotent.
func (st *EventStream) Close() {
	st.finish(ErrStreamClosed)
	st.s.removeStream(st)
	if st.stop != nil {
		st.stop()
	}
}

// Buffered returns how many events are waiting to be read.
func (st *EventStream) Buffered() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.buf) - st.head
}

func (s *Session) removeStream(st *EventStream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.streams {
		if x == st {
			s.streams = append(s.streams[:i], s.streams[i+1:]...)
			if len(s.streams) == 0 {
				s.streams = nil
			}
			return
		}
	}
}

// endStreams ends the streams whose events can no longer come: at hang-up
// (final false) those of events that do not follow a hang-up, at
// CHANNEL_DESTROY (final) all. Called with the session's lock held.
func (s *Session) endStreams(final bool) {
	kept := s.streams[:0]
	for _, st := range s.streams {
		if !final && st.afterHangup() {
			kept = append(kept, st)
			continue
		}
		st.finish(ErrHungUp)
	}
	clear(s.streams[len(kept):])
	s.streams = kept
	if len(s.streams) == 0 {
		s.streams = nil
	}
}
