package dialer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/switchio/switchio/cluster"
)

// Start starts (or resumes) offering calls: Initial|Stopped -> Originating.
func (o *Originator) Start() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	if o.state == Originating {
		return nil
	}
	ok := false
	for _, g := range o.apps {
		ok = ok || g.weight > 0
	}
	if !ok {
		return ErrNoApp
	}
	if o.maxOffered > 0 && o.offered >= o.maxOffered {
		return fmt.Errorf("dialer: max offered (%d) already reached", o.maxOffered)
	}
	now := time.Now()
	if err := o.startSchedule(now); err != nil {
		return err
	}
	o.warnLimit()
	o.killing = false
	o.killCause = ""
	o.startedAt = o.since(now)
	if o.firstOffer == 0 {
		o.startRate = o.rate
		if len(o.cfg.Stages) > 0 {
			o.startRate = 0
		}
	}
	o.setState(Originating)
	return nil
}

// Stop stops offering calls; calls up keep their hold time.
// Originating -> Stopped.
func (o *Originator) Stop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == Originating {
		o.setState(Stopped)
		o.logChange("state", "stopped")
	}
}

// setState changes state; o.mu held.
func (o *Originator) setState(s State) {
	if o.state == s {
		return
	}
	if s == Stopped {
		o.stoppedAt = o.since(time.Now())
	}
	o.log.Info("state", "from", o.state, "to", s)
	o.state = s
	o.notify()
}

// State returns the current state.
func (o *Originator) State() State {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state
}

// CheckState reports whether the state is s.
func (o *Originator) CheckState(s State) bool { return o.State() == s }

// Hupall stops the run: it stops offering and hangs up this dialer's
// calls only (dial's Ctrl-C does the same): on every reachable server
// "hupall NORMAL_CLEARING sip_h_X-switchio_app_id <app id>" for each of
// its app ids; calls whose originate was still on its way are hung up as
// they show up. Their outcome is abandoned (failed for calls not yet
// answered), under CauseHupall. To hang the calls up and keep offering,
// use HangupCalls.
func (o *Originator) Hupall(ctx context.Context) error { return o.HupallCause(ctx, CauseHupall) }

// HupallCause is Hupall recording the calls under cause (dial's first
// Ctrl-C: CauseInterrupted).
func (o *Originator) HupallCause(ctx context.Context, cause string) error {
	o.mu.Lock()
	o.logChange("hupall", "this dialer's calls")
	o.killCause = cause
	o.mu.Unlock()
	return o.hupall(ctx, true)
}

// hupall stops offering, marks the calls up abandoned and sends the
// hang-ups to every server whose connection is up (an unreachable one
// would only make the caller wait); own restricts them to this dialer's
// app ids.
func (o *Originator) hupall(ctx context.Context, own bool) error {
	o.mu.Lock()
	if o.killCause == "" {
		o.killCause = CauseHupall
	}
	o.stopOffering()
	o.markAbandoned()
	ids := make([]string, len(o.apps))
	for i, g := range o.apps {
		ids[i] = g.id
	}
	o.mu.Unlock()
	var errs []error
	for _, s := range o.servers {
		if s.c.Conn() == nil {
			continue
		}
		if !own {
			if err := s.c.Hupall(ctx, "NORMAL_CLEARING", "", ""); err != nil {
				errs = append(errs, fmt.Errorf("hupall on %s: %w", s.addr, err))
			}
			continue
		}
		for _, id := range ids {
			if err := s.c.Hupall(ctx, "NORMAL_CLEARING", "sip_h_"+cluster.HeaderAppID, id); err != nil {
				errs = append(errs, fmt.Errorf("hupall on %s: %w", s.addr, err))
			}
		}
	}
	return errors.Join(errs...)
}

// stopOffering stops offering calls and makes the calls still on their
// way be hung up as they show up; o.mu held.
func (o *Originator) stopOffering() {
	if o.state == Originating {
		o.setState(Stopped)
	}
	o.killing = true
}

// markAbandoned marks every call up as ended by switchio (a hupall is on
// its way), under the hupall's cause; o.mu held.
func (o *Originator) markAbandoned() {
	for _, c := range o.calls {
		if c.endBy == endNone {
			c.endBy = endAbandon
			o.giveUpOn(c, o.killCause)
		}
	}
}

// HardHupall stops offering and hangs up every call on every reachable
// server, this dialer's or not.
func (o *Originator) HardHupall(ctx context.Context) error { return o.hupall(ctx, false) }

// Shutdown hangs up the dialer's calls, waits (bounded by ctx) for them
// to end and closes the dialer.
func (o *Originator) Shutdown(ctx context.Context) error {
	err := o.Hupall(ctx)
	werr := o.Wait(ctx)
	return errors.Join(err, werr, o.Close())
}

// Close stops the dialer's goroutines, records every call still up
// (CauseClosed: answered ones abandoned, the others failed), delivers the
// remaining call records to OnCall, puts back the servers' limits Setup
// raised (RestoreSettings) and unloads its apps (waiting at most 5 s for
// unreachable servers). Calls still up keep their server-side guard. It is
// idempotent.
func (o *Originator) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return o.CloseContext(ctx)
}

// CloseContext is Close with ctx bounding the unloading of apps: with a
// done ctx it returns at once, records delivered, even when a server is
// unreachable.
func (o *Originator) CloseContext(ctx context.Context) error {
	var err error
	o.once.Do(func() {
		o.mu.Lock()
		if o.state == Originating {
			o.setState(Stopped)
		}
		o.releaseAll(CauseClosed, time.Now())
		o.closed = true
		o.notify()
		o.mu.Unlock()
		o.cancel()
		for _, stop := range o.unobserve {
			stop()
		}
		o.wg.Wait()
		<-o.recordsDone
		var errs []error
		// Put back the servers' limits Setup changed; with a done ctx
		// nothing is sent, and each changed server's record keeps the
		// commands that restore it (not an error of Close's).
		if err := o.RestoreSettings(ctx); ctx.Err() == nil {
			errs = append(errs, err)
		}
		for _, id := range o.mgr.IDs() {
			if ctx.Err() != nil {
				break
			}
			errs = append(errs, o.mgr.Unload(ctx, id))
		}
		err = errors.Join(errs...)
	})
	return err
}

// Abandon ends the run now: it stops offering, records every call still
// up under cause (answered ones abandoned, the others failed) without
// waiting for their ends, and asks the reachable servers to hang up this
// dialer's calls (bounded by ctx). Use it when a drain time runs out or
// the user insists on stopping.
func (o *Originator) Abandon(ctx context.Context, cause string) error {
	o.mu.Lock()
	if o.killCause == "" {
		o.killCause = cause
	}
	o.stopOffering()
	o.releaseAll(cause, time.Now())
	o.mu.Unlock()
	signal(o.recordsWake)
	return o.hupall(ctx, true)
}

// Flush delivers the finished calls' records to OnCall now and returns
// once they are delivered (or ctx ends).
func (o *Originator) Flush(ctx context.Context) error {
	done := make(chan struct{})
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.pendingFlush = append(o.pendingFlush, done)
	o.mu.Unlock()
	signal(o.recordsWake)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-o.recordsDone:
		return nil
	}
}

// notify wakes the pacer and every waiter; o.mu held.
func (o *Originator) notify() {
	if o.changed != nil {
		close(o.changed)
		o.changed = nil
	}
	signal(o.wake)
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// WaitForState blocks until the state is s (or ctx ends).
func (o *Originator) WaitForState(ctx context.Context, s State) error {
	return o.WaitWhile(ctx, func(st Stats) bool { return st.State != s })
}

// WaitWhile blocks while cond holds (or until ctx ends). cond is checked at
// every state change and call completion, and at least every 250 ms.
func (o *Originator) WaitWhile(ctx context.Context, cond func(Stats) bool) error {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		o.mu.Lock()
		if o.changed == nil {
			o.changed = make(chan struct{})
		}
		ch := o.changed
		o.mu.Unlock()
		if !cond(o.Stats()) {
			return nil
		}
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Wait blocks until the dialer is not originating and none of its calls
// is up (the default wait of a load test), then until every finished
// call's record has been delivered to Config.OnCall (Flush).
func (o *Originator) Wait(ctx context.Context) error {
	if err := o.WaitWhile(ctx, func(st Stats) bool { return st.State == Originating || st.Active > 0 }); err != nil {
		return err
	}
	return o.Flush(ctx)
}

// warnLimit logs a warning when the hold the user set, times the rate,
// exceeds the limit: the limit then paces the run, below the rate asked
// for (Little's law: concurrent calls = rate x hold); o.mu held.
func (o *Originator) warnLimit() {
	if o.cfg.Duration <= 0 || o.duration <= 0 || o.rate <= 0 || o.tr.hold.Kind != HoldFixed {
		return
	}
	if need := o.rate * o.duration.Seconds(); need > float64(o.limit) {
		o.cfg.Logger.Warn("the limit will pace the run below its rate: rate x hold exceeds the concurrent-call limit",
			"rate", o.rate, "hold", o.duration, "needs", int(math.Ceil(need)), "limit", o.limit,
			"max_rate", float64(o.limit)/o.duration.Seconds())
	}
}
