// Package dtmf provides DtmfChecker: the calling leg sends a DTMF
// sequence, the called leg checks that every digit arrived, in order and
// with its duration. Each call's record gets the result as verdicts
// (dtmf_ok, dtmf_missing, dtmf_in_order ...).
package dtmf

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

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
	ResultIncomplete = "incomplete" // digits lost: the call lasted past the last one's due time
	// ResultCutShort: the call ended before its last digit was due
	// (Needed after the answer) with only digits in order arrived: not
	// checked (dtmf_ok null, media_unchecked ReasonCutShort), not a
	// media failure.
	ResultCutShort = "cut_short"
)

// ReasonCutShort is the media_unchecked reason of a cut_short call.
const ReasonCutShort = "cut short"

// Timing of a sequence as a real FreeSWITCH (1.10.12) sends one
// uuid_send_dtmf: each digit takes its duration plus a gap (measured:
// digits arrive 442 ms apart at 100 ms, 482 ms at 200 ms, 583 ms at
// 400 ms, about 1 s at 1 s), and a duration not above its
// min_dtmf_duration (50 ms) is sent as its default, 250 ms
// (switch_core_io.c).
const (
	// DefaultGap is the gap param's default: the time FreeSWITCH adds
	// to each digit's duration, rounded up from the measured spacing.
	DefaultGap = 350 * time.Millisecond
	// Margin is added to the sequence's time for its events' travel:
	// a call ending before Delay + digits x (duration + gap) + Margin
	// after its answer may be cut short.
	Margin = time.Second
	// fsMinDuration and fsDefaultDuration are FreeSWITCH's
	// min_dtmf_duration and default_dtmf_duration (400 and 2000
	// samples).
	fsMinDuration     = 50 * time.Millisecond
	fsDefaultDuration = 250 * time.Millisecond
)

// DurationTolerance is how far a received digit's duration may be from
// the one sent: FreeSWITCH reports whole 20 ms RTP packets, rounded up,
// and at least 50 ms (its min_dtmf_duration of 400 samples).
const DurationTolerance = 40 * time.Millisecond

// DtmfChecker sends Digits from the calling leg Delay after its answer,
// each for Duration, and checks them on the called leg as its DTMF events
// arrive: the call's verdicts are set when the last digit arrives, or at
// the called leg's hang-up. Only answered calls get verdicts. A call
// that ends before its last digit is due (Needed after the answer) with
// the digits that did arrive in order is cut_short: not checked
// (media_unchecked), not a failure. The dialer's hold should cover
// Needed; the checker warns at the start of a dial when it does not
// (appkit.LoadAware), with the share of calls held less.
type DtmfChecker struct {
	Digits   string        `param:"digits" help:"the sequence to send (0-9 * # A-D)"`
	Duration time.Duration `param:"duration" help:"how long each digit is sent"`
	Delay    time.Duration `param:"delay" help:"wait after the answer before sending (media set-up)"`
	Gap      time.Duration `param:"gap" help:"time the server adds to each digit's duration when sending a sequence (FreeSWITCH 1.10.12: up to about 350 ms)"`

	mu     sync.Mutex
	timers map[*time.Timer]struct{}
	// log and warns are the client's logger and whether this instance
	// warns about the hold (the pool's first server's does); warned is
	// the hold last warned about.
	log    *slog.Logger
	warns  bool
	warned string
}

// Needed is how long after the answer a call must last for the last
// digit to arrive: Delay + digits x (duration sent + Gap) + Margin.
func (d *DtmfChecker) Needed() time.Duration {
	dur := d.Duration
	if dur <= fsMinDuration {
		dur = fsDefaultDuration
	}
	return d.Delay + time.Duration(len(d.Digits))*(dur+d.Gap) + Margin
}

// LoadChanged implements appkit.LoadAware: it warns, once per hold, when
// calls are held less than Needed, with the share that will be cut
// short.
func (d *DtmfChecker) LoadChanged(l appkit.Load) {
	need := d.Needed()
	share := l.ShareBelow(need)
	d.mu.Lock()
	hold := l.HoldText()
	warn := d.warns && d.log != nil && share > 0 && hold != d.warned
	if warn {
		d.warned = hold
	}
	log := d.log
	d.mu.Unlock()
	if warn {
		log.Warn(fmt.Sprintf("DtmfChecker: %.0f%% of calls are held less than the %s its %d digits need "+
			"(delay %s + %d x (duration %s + gap %s) + margin %s): those whose digits are not all in by their hang-up "+
			"are cut_short (media not checked, not failed); hold the calls longer or send fewer digits",
			100*share, need.Round(10*time.Millisecond), len(d.Digits), d.Delay, len(d.Digits), d.Duration, d.Gap, Margin),
			"hold", hold, "needed", need)
	}
}

// Description implements appkit.Describer.
func (d *DtmfChecker) Description() string {
	return "The calling leg sends a DTMF sequence, the called leg checks every digit arrived in order with its duration: " +
		"dtmf_ok, dtmf_result (ok, mismatch, incomplete; cut_short when the call ended before its digits were due: not checked), dtmf_missing, dtmf_in_order."
}

// Verdicts implements measure.Verdicter.
func (d *DtmfChecker) Verdicts() []measure.VerdictSpec {
	return []measure.VerdictSpec{
		{Name: VerdictOK, Kind: measure.KindBool, Check: true, Doc: "every digit sent arrived, in order"},
		{Name: VerdictResult, Kind: measure.KindString, Doc: "ok, mismatch (as many digits, another sequence), incomplete (digits lost on a call long enough for all) or cut_short (the call ended before its last digit was due: not checked)"},
		{Name: VerdictSent, Kind: measure.KindString, Doc: "the digits sent"},
		{Name: VerdictReceived, Kind: measure.KindString, Doc: "the digits received, in arrival order"},
		{Name: VerdictMissing, Kind: measure.KindInt, Doc: "digits sent that never arrived"},
		{Name: VerdictInOrder, Kind: measure.KindBool, Doc: "the digits received came in the order sent"},
		{Name: VerdictMinMs, Kind: measure.KindInt, Doc: "shortest digit received, ms (DTMF-Duration / 8)"},
		{Name: VerdictMaxMs, Kind: measure.KindInt, Doc: "longest digit received, ms"},
		{Name: VerdictDurationOK, Kind: measure.KindBool, Doc: "every digit's duration within 40 ms of the one sent (FreeSWITCH's packet rounding and 50 ms minimum allowed)"},
		measure.UncheckedSpec(),
	}
}

// Call variables of a check in progress.
const (
	varReceived  = "switchio.dtmf.rx"
	varDurations = "switchio.dtmf.ms"
	varDone      = "switchio.dtmf.done"
	// varDue is when (Unix ns, this host's clock) the last digit is
	// due: set at the calling leg's answer, it marks a check started.
	varDue = "switchio.dtmf.due"
)

// Setup implements cluster.App.
func (d *DtmfChecker) Setup(ctx context.Context, r *cluster.Registrar) error {
	if err := validDigits(d.Digits); err != nil {
		return fmt.Errorf("DtmfChecker: %w", err)
	}
	if d.Duration < 10*time.Millisecond || d.Duration > 24*time.Second {
		return fmt.Errorf("DtmfChecker: duration %s out of range 10ms..24s", d.Duration)
	}
	if d.Delay < 0 || d.Gap < 0 {
		return fmt.Errorf("DtmfChecker: negative delay %s or gap %s", d.Delay, d.Gap)
	}
	d.mu.Lock()
	if d.timers == nil {
		d.timers = map[*time.Timer]struct{}{}
	}
	// One warning per dial: from the pool's first server's instance.
	d.log = r.Client().Logger()
	p := r.Pool()
	d.warns = p == nil || len(p.Clients()) == 0 || p.Clients()[0] == r.Client()
	d.mu.Unlock()
	r.On("CHANNEL_PARK", appkit.AnswerCalledLeg)
	appkit.OnMediaReady(r, d.answered)
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
	call.SetVar(varDue, strconv.FormatInt(time.Now().Add(d.Needed()).UnixNano(), 10))
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

// settle writes the call's verdicts once, for a call whose check
// started (its calling leg answered): a call never answered gets none.
func (d *DtmfChecker) settle(call *cluster.Call) {
	due, err := strconv.ParseInt(call.Var(varDue), 10, 64)
	if err != nil {
		return
	}
	if call.UpdateVar(varDone, func(old string) string { return old + "1" }) != "1" {
		return
	}
	sent := strings.ToUpper(d.Digits)
	rx := call.Var(varReceived)
	c := Compare(sent, rx, call.Var(varDurations), d.Duration)
	// Ended before the last digit was due with what arrived in order:
	// the rest had no time to come.
	cut := len(rx) < len(sent) && strings.HasPrefix(sent, rx) && time.Now().UnixNano() < due
	if cut {
		_ = measure.SetVerdict(call, VerdictResult, ResultCutShort)
		measure.SkipCheck(call, ReasonCutShort)
		for _, name := range []string{VerdictOK, VerdictMissing, VerdictInOrder} {
			measure.DropVerdict(call, name)
		}
	} else {
		_ = measure.SetVerdict(call, VerdictOK, c.Result == ResultOK)
		_ = measure.SetVerdict(call, VerdictResult, c.Result)
		_ = measure.SetVerdict(call, VerdictMissing, c.Missing)
		_ = measure.SetVerdict(call, VerdictInOrder, c.InOrder)
		measure.DropVerdict(call, measure.VerdictUnchecked)
	}
	_ = measure.SetVerdict(call, VerdictSent, sent)
	_ = measure.SetVerdict(call, VerdictReceived, c.Received)
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
