// Package dtmf provides DtmfChecker: the calling leg sends a DTMF
// sequence, the called leg checks that every digit arrived, in order and
// with its duration. Each call's record gets the result as verdicts
// (dtmf_ok, dtmf_missing, dtmf_in_order ...).
package dtmf

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/app"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

func init() {
	app.MustRegister(&DtmfChecker{Digits: "1234567890*#", Duration: 200 * time.Millisecond, Delay: 500 * time.Millisecond})
}

// Verdict names.
const (
	VerdictOK         = "dtmf_ok"
	VerdictResult     = "dtmf_result"
	VerdictSent       = "dtmf_sent"
	VerdictReceived   = "dtmf_received"
	VerdictMissing    = "dtmf_missing"
	VerdictInOrder    = "dtmf_in_order"
	VerdictMinMs      = "dtmf_min_ms"
	VerdictMaxMs      = "dtmf_max_ms"
	VerdictDurationOK = "dtmf_duration_ok"
)

// Results (dtmf_result).
const (
	ResultOK         = "ok"         // every digit, in order
	ResultMismatch   = "mismatch"   // as many digits as sent, not the same sequence
	ResultIncomplete = "incomplete" // the call ended before every digit arrived
)

// DurationTolerance is how far a received digit's duration may be from
// the one sent: FreeSWITCH reports whole 20 ms RTP packets, rounded up,
// and at least 50 ms (its min_dtmf_duration of 400 samples).
const DurationTolerance = 40 * time.Millisecond

// DtmfChecker sends Digits from the calling leg Delay after its answer,
// each for Duration, and checks them on the called leg as its DTMF events
// arrive: the call's verdicts are set when the last digit arrives, or at
// the called leg's hang-up (incomplete). The dialer's hold time must
// leave room for the sequence: Delay + digits x (Duration + ~100 ms).
type DtmfChecker struct {
	Digits   string        `param:"digits" help:"the sequence to send (0-9 * # A-D)"`
	Duration time.Duration `param:"duration" help:"how long each digit is sent"`
	Delay    time.Duration `param:"delay" help:"wait after the answer before sending (media set-up)"`

	mu     sync.Mutex
	timers map[*time.Timer]struct{}
}

// Description implements app.Describer.
func (d *DtmfChecker) Description() string {
	return "The calling leg sends a DTMF sequence, the called leg checks every digit arrived in order with its duration: " +
		"dtmf_ok, dtmf_result (ok, mismatch, incomplete), dtmf_missing, dtmf_in_order."
}

// Verdicts implements measure.Verdicter.
func (d *DtmfChecker) Verdicts() []measure.VerdictSpec {
	return []measure.VerdictSpec{
		{Name: VerdictOK, Kind: measure.KindBool, Check: true, Doc: "every digit sent arrived, in order"},
		{Name: VerdictResult, Kind: measure.KindString, Doc: "ok, mismatch (as many digits, another sequence) or incomplete (the call ended first)"},
		{Name: VerdictSent, Kind: measure.KindString, Doc: "the digits sent"},
		{Name: VerdictReceived, Kind: measure.KindString, Doc: "the digits received, in arrival order"},
		{Name: VerdictMissing, Kind: measure.KindInt, Doc: "digits sent that never arrived"},
		{Name: VerdictInOrder, Kind: measure.KindBool, Doc: "the digits received came in the order sent"},
		{Name: VerdictMinMs, Kind: measure.KindInt, Doc: "shortest digit received, ms (DTMF-Duration / 8)"},
		{Name: VerdictMaxMs, Kind: measure.KindInt, Doc: "longest digit received, ms"},
		{Name: VerdictDurationOK, Kind: measure.KindBool, Doc: "every digit's duration within 40 ms of the one sent (FreeSWITCH's packet rounding and 50 ms minimum allowed)"},
	}
}

// Call variables of a check in progress.
const (
	varReceived  = "switchio.dtmf.rx"
	varDurations = "switchio.dtmf.ms"
	varDone      = "switchio.dtmf.done"
)

// Setup implements cluster.App.
func (d *DtmfChecker) Setup(ctx context.Context, r *cluster.Registrar) error {
	if err := validDigits(d.Digits); err != nil {
		return fmt.Errorf("DtmfChecker: %w", err)
	}
	if d.Duration < 10*time.Millisecond || d.Duration > 24*time.Second {
		return fmt.Errorf("DtmfChecker: duration %s out of range 10ms..24s", d.Duration)
	}
	if d.Delay < 0 {
		return fmt.Errorf("DtmfChecker: negative delay %s", d.Delay)
	}
	d.mu.Lock()
	if d.timers == nil {
		d.timers = map[*time.Timer]struct{}{}
	}
	d.mu.Unlock()
	r.On("CHANNEL_PARK", app.AnswerCalledLeg)
	r.On("CHANNEL_ANSWER", d.answered)
	r.On("DTMF", d.digit)
	r.On("CHANNEL_HANGUP", d.hungUp)
	return nil
}

func validDigits(s string) error {
	if s == "" {
		return fmt.Errorf("no digits")
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789*#ABCDabcd", c) {
			return fmt.Errorf("digit %q is not DTMF (0-9 * # A-D)", c)
		}
	}
	return nil
}

// answered sends the sequence from the calling leg after Delay.
func (d *DtmfChecker) answered(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil || !s.IsOutbound() {
		return
	}
	for _, sp := range d.Verdicts() {
		measure.PendVerdict(call, sp.Name)
	}
	send := func() { _ = s.Queue().SendDTMF(d.Digits, d.Duration) }
	if d.Delay == 0 {
		send()
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var t *time.Timer
	t = time.AfterFunc(d.Delay, func() {
		d.mu.Lock()
		_, live := d.timers[t]
		delete(d.timers, t)
		d.mu.Unlock()
		if live && !s.HungUp() {
			send()
		}
	})
	d.timers[t] = struct{}{}
}

// digit collects a digit on the called leg; the last one settles the
// check.
func (d *DtmfChecker) digit(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil || !s.IsInbound() {
		return
	}
	got := strings.ToUpper(ev.Get("DTMF-Digit"))
	if got == "" {
		return
	}
	ms := "-1"
	if n, err := strconv.Atoi(ev.Get("DTMF-Duration")); err == nil {
		ms = strconv.Itoa(n / 8)
	}
	rx := call.UpdateVar(varReceived, func(old string) string { return old + got })
	call.UpdateVar(varDurations, func(old string) string {
		if old == "" {
			return ms
		}
		return old + "," + ms
	})
	if len(rx) >= len(d.Digits) {
		d.settle(call)
	}
}

// hungUp settles an unfinished check when the called leg ends.
func (d *DtmfChecker) hungUp(ctx context.Context, ev *cluster.Event) {
	if s, call := ev.Session, ev.Call(); s != nil && call != nil && s.IsInbound() {
		d.settle(call)
	}
}

// settle writes the call's verdicts once.
func (d *DtmfChecker) settle(call *cluster.Call) {
	if call.UpdateVar(varDone, func(old string) string { return old + "1" }) != "1" {
		return
	}
	sent := strings.ToUpper(d.Digits)
	c := Compare(sent, call.Var(varReceived), call.Var(varDurations), d.Duration)
	_ = measure.SetVerdict(call, VerdictOK, c.Result == ResultOK)
	_ = measure.SetVerdict(call, VerdictResult, c.Result)
	_ = measure.SetVerdict(call, VerdictSent, sent)
	_ = measure.SetVerdict(call, VerdictReceived, c.Received)
	_ = measure.SetVerdict(call, VerdictMissing, c.Missing)
	_ = measure.SetVerdict(call, VerdictInOrder, c.InOrder)
	if c.MinMs >= 0 {
		_ = measure.SetVerdict(call, VerdictMinMs, c.MinMs)
		_ = measure.SetVerdict(call, VerdictMaxMs, c.MaxMs)
		_ = measure.SetVerdict(call, VerdictDurationOK, c.DurationOK)
	} else {
		measure.DropVerdict(call, VerdictMinMs)
		measure.DropVerdict(call, VerdictMaxMs)
		measure.DropVerdict(call, VerdictDurationOK)
	}
}

// Teardown implements cluster.Teardowner: sends not yet due are dropped.
func (d *DtmfChecker) Teardown(ctx context.Context, c *cluster.Client) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for t := range d.timers {
		t.Stop()
	}
	clear(d.timers)
	return nil
}
