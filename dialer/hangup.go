package dialer

import (
	"context"
	"strings"
	"sync"
)

// maxHangupsInFlight bounds the hang-ups written to one server without a
// reply yet: enough to keep the connection busy, few enough that a stuck
// server cannot take every goroutine.
const maxHangupsInFlight = 64

// hangupQueue holds the uuids a server's hang-up sender still has to
// kill. It never blocks the event loop or a timer: push appends and wakes
// the sender.
type hangupQueue struct {
	mu   sync.Mutex
	ids  []string
	wake chan struct{}
}

func (q *hangupQueue) init() { q.wake = make(chan struct{}, 1) }

func (q *hangupQueue) push(id string) {
	q.mu.Lock()
	q.ids = append(q.ids, id)
	q.mu.Unlock()
	signal(q.wake)
}

func (q *hangupQueue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := q.ids
	q.ids = nil
	return ids
}

// hangupSender sends a server's hang-ups on their own path, not behind
// its originates (which have their own senders and queue), and without
// waiting for one reply before writing the next: up to
// maxHangupsInFlight uuid_kill commands are pipelined on the connection.
func (o *Originator) hangupSender(s *server) {
	defer o.wg.Done()
	sem := make(chan struct{}, maxHangupsInFlight)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	for {
		select {
		case <-o.ctx.Done():
			return
		case <-s.hangups.wake:
		}
		for _, id := range s.hangups.take() {
			select {
			case sem <- struct{}{}:
			case <-o.ctx.Done():
				return
			}
			inflight.Add(1)
			go func(id string) {
				defer func() { <-sem; inflight.Done() }()
				o.sendHangup(o.ctx, s, id)
			}(id)
		}
	}
}

// sendHangup kills one call with api uuid_kill: it only flags the
// channel for hang-up, so FreeSWITCH's listener runs it at once, and
// unlike bgapi it raises no BACKGROUND_JOB (one event fewer per call).
// "-ERR No such channel!" means the call ended meanwhile.
func (o *Originator) sendHangup(ctx context.Context, s *server, id string) {
	out, err := s.c.API(ctx, "uuid_kill "+id+" NORMAL_CLEARING")
	switch {
	case err != nil && ctx.Err() == nil:
		o.log.Warn("uuid_kill failed", "server", s.addr, "uuid", id, "err", err)
	case err == nil && strings.HasPrefix(out, "-ERR") && !strings.Contains(out, "No such channel"):
		o.log.Warn("uuid_kill refused", "server", s.addr, "uuid", id, "reply", strings.TrimSpace(out))
	}
}
