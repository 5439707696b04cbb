package dialer

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/switchio/switchio/esl"
)

// hangupWorkers is how many hang-ups one server has in flight at most:
// enough to keep the connection busy (uuid_kill commands are pipelined
// on it), few enough that a stuck server cannot take every goroutine.
const hangupWorkers = 32

// hangupQueue holds the uuids a server's hang-up workers still have to
// kill. It never blocks the event loop or a timer: push appends and wakes
// a worker.
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

// next waits for a uuid to kill; false once ctx ends. A worker that takes
// one and leaves more wakes the next worker.
func (q *hangupQueue) next(ctx context.Context) (string, bool) {
	for {
		q.mu.Lock()
		if n := len(q.ids); n > 0 {
			id := q.ids[0]
			q.ids[0] = ""
			q.ids = q.ids[1:]
			if n == 1 {
				q.ids = nil
			}
			q.mu.Unlock()
			if n > 1 {
				signal(q.wake)
			}
			return id, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return "", false
		}
	}
}

// hangupSender sends a server's hang-ups on their own path, not behind
// its originates (which have their own senders and queue), with a fixed
// set of workers, so up to hangupWorkers uuid_kill commands are pipelined
// on the connection without a goroutine per call.
func (o *Originator) hangupSender(s *server) {
	defer o.wg.Done()
	var workers sync.WaitGroup
	for range hangupWorkers {
		workers.Go(func() {
			for {
				id, ok := s.hangups.next(o.ctx)
				if !ok {
					return
				}
				o.sendHangup(o.ctx, s, id)
			}
		})
	}
	workers.Wait()
}

// sendHangup kills one call with api uuid_kill: it only flags the
// channel for hang-up, so FreeSWITCH's listener runs it at once, and
// unlike bgapi it raises no BACKGROUND_JOB (one event fewer per call).
// "-ERR No such channel!" means the call ended meanwhile.
func (o *Originator) sendHangup(ctx context.Context, s *server, id string) {
	_, err := s.c.API(ctx, "uuid_kill "+id+" NORMAL_CLEARING")
	var ce *esl.CommandError
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.As(err, &ce) && strings.Contains(ce.Reply, "No such channel"):
		// the call ended on its own meanwhile: nothing to do
	case errors.As(err, &ce):
		o.log.Warn("uuid_kill refused", "server", s.addr, "uuid", id, "reply", ce.Reply)
	default:
		o.log.Warn("uuid_kill failed", "server", s.addr, "uuid", id, "err", err)
	}
}
