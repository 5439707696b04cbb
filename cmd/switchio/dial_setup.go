package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// setupGuard bounds dial's set-up (connecting, subscribing, resolving
// destinations, the load-test settings, the apps' set-up): each step runs
// under its own --setup-timeout, and the first SIGINT or SIGTERM cancels
// whatever step is under way, so a stuck server can neither hang the run
// nor make it deaf to Ctrl-C before it starts.
type setupGuard struct {
	ctx     context.Context
	cancel  context.CancelFunc
	timeout time.Duration
	stop    chan struct{}
	got     chan os.Signal // the watcher's answer: the signal, or nil
	once    sync.Once
	sig     os.Signal
}

// guardSetup starts watching sig; end must be called.
func guardSetup(ctx context.Context, sig <-chan os.Signal, timeout time.Duration) *setupGuard {
	g := &setupGuard{timeout: timeout, stop: make(chan struct{}), got: make(chan os.Signal, 1)}
	g.ctx, g.cancel = context.WithCancel(ctx)
	go func() {
		select {
		case s := <-sig:
			g.cancel()
			g.got <- s
		case <-g.stop:
			g.got <- nil
		}
	}()
	return g
}

// step returns the context of one set-up step: g's, with the deadline.
func (g *setupGuard) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(g.ctx, g.timeout)
}

// end stops watching the signals (the run's loop reads them from then on)
// and returns the one that came during set-up, if any. It is idempotent.
func (g *setupGuard) end() os.Signal {
	g.once.Do(func() {
		close(g.stop)
		g.sig = <-g.got
		g.cancel()
	})
	return g.sig
}

// gaveUp reports whether set-up was given up rather than refused: a
// signal came, or a step outlived --setup-timeout. The servers may then
// be stuck, so nothing more is asked of them.
func (g *setupGuard) gaveUp(err error) bool {
	return g.ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)
}

// failed turns an error of set-up into dial's result: the exit code of a
// signal that came meanwhile (with a note on stderr), else 1 and the
// error, saying which --setup-timeout ran out when one did.
func (g *setupGuard) failed(err error, stderr interface{ Write([]byte) (int, error) }) (int, error) {
	if s := g.end(); s != nil {
		// err tells what set-up was waiting for (esl.NoReplyError).
		fmt.Fprintf(stderr, "switchio dial: %v during set-up: stopped (%s)\n", s, oneLine(err))
		return signalExitCode(s), nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// err names the server and, when it was sent, the command
		// (esl.NoReplyError).
		return 1, fmt.Errorf("set-up: no reply within --setup-timeout %v: %w", g.timeout, err)
	}
	return 1, err
}

// signalExitCode is the exit code of a run stopped by s: 143 for SIGTERM,
// 130 for Ctrl-C.
func signalExitCode(s os.Signal) int {
	if s == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}

// signalOfCause names the signal that cancelled signal.NotifyContext's
// context, from its cause ("terminated signal received").
func signalOfCause(cause error) os.Signal {
	if cause != nil && strings.Contains(cause.Error(), syscall.SIGTERM.String()) {
		return syscall.SIGTERM
	}
	return os.Interrupt
}

// oneLine puts an error on one line: joined errors (one per server) are
// listed with "; ".
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}
