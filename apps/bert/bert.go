// Package bert provides Bert: a bit-error-rate test of a call's media
// with FreeSWITCH's mod_bert, which sends a known pattern (a µ-law
// milliwatt) and checks what comes back. It needs mod_bert on the server
// and PCMU on the call, which Bert asks for on its originates (with a
// jitter buffer and a soft timer, as switchio's Python Bert did) unless
// the dial sets them; switchio's default app stays TonePlay, which needs
// neither.
package bert

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/originate"
)

// mod_bert's events (mod_bert.c: BERT_EVENT_IN_SYNC, BERT_EVENT_LOST_SYNC,
// BERT_EVENT_TIMEOUT).
const (
	EventInSync   = "CUSTOM mod_bert::in_sync"
	EventLostSync = "CUSTOM mod_bert::lost_sync"
	EventTimeout  = "CUSTOM mod_bert::timeout"
)

// Verdict names.
const (
	VerdictOK          = "bert_ok"
	VerdictInSync      = "bert_in_sync"
	VerdictLostSync    = "bert_lost_sync"
	VerdictTimeouts    = "bert_timeouts"
	VerdictErrSamples  = "bert_err_samples"
	VerdictLostPercent = "bert_sync_lost_percent"
	VerdictCNG         = "bert_cng_count"
)

// The defaults are mod_bert's own (mod_bert.c bert_test_function:
// bert_timeout_ms 10000, bert_max_err 10, read with atoi).
//
// Bert runs mod_bert's bert_test on the calling leg, the called leg
// echoing (or running bert_test too when TwoSided), and counts mod_bert's
// events per call: in sync, lost sync (with its error figures) and
// timeouts (no sync within Timeout).
type Bert struct {
	TwoSided      bool          `param:"two_sided" help:"run bert_test on both legs (otherwise the called leg echoes)"`
	HangupOnError bool          `param:"hangup_on_error" help:"mod_bert hangs the call up when sync is lost or never reached"`
	Timeout       time.Duration `param:"timeout" help:"how long mod_bert waits for sync (bert_timeout_ms)"`
	MaxErr        int           `param:"max_err" help:"error percentage above which sync is lost (bert_max_err, whole percent)"`
	Window        time.Duration `param:"window" help:"mod_bert's analysis window (bert_window_ms; 0: its default)"`
}

// Description implements appkit.Describer.
func (b *Bert) Description() string {
	return "Bit-error-rate test with mod_bert on the calling leg (both with two_sided), the other echoing: " +
		"bert_ok, bert_lost_sync, bert_timeouts, bert_err_samples. Needs mod_bert and PCMU on the server."
}

// ReceivingLegs implements measure.AudioReceiver: the callee receives
// the caller's pattern, the caller the pattern back (echoed, or the
// callee's own with two_sided).
func (b *Bert) ReceivingLegs() measure.Legs { return measure.BothLegs }

// Verdicts implements measure.Verdicter.
func (b *Bert) Verdicts() []measure.VerdictSpec {
	return []measure.VerdictSpec{
		{Name: VerdictOK, Kind: measure.KindBool, Check: true, Doc: "every bert leg reached sync and never lost it or timed out"},
		{Name: VerdictInSync, Kind: measure.KindInt, Doc: "mod_bert::in_sync events"},
		{Name: VerdictLostSync, Kind: measure.KindInt, Doc: "mod_bert::lost_sync events"},
		{Name: VerdictTimeouts, Kind: measure.KindInt, Doc: "mod_bert::timeout events (no sync within the timeout)"},
		{Name: VerdictErrSamples, Kind: measure.KindInt, Doc: "largest err_samples of a lost_sync event"},
		{Name: VerdictLostPercent, Kind: measure.KindFloat, Doc: "largest sync_lost_percent of a lost_sync event"},
		{Name: VerdictCNG, Kind: measure.KindInt, Doc: "largest cng_count (comfort noise packets) of a lost_sync event"},
	}
}

// Call variables of a test in progress.
const (
	varInSync   = "switchio.bert.in_sync"
	varLost     = "switchio.bert.lost"
	varTimeouts = "switchio.bert.timeouts"
	varErr      = "switchio.bert.err_samples"
	varPercent  = "switchio.bert.percent"
	varCNG      = "switchio.bert.cng"
	varLegs     = "switchio.bert.legs"
)

// Setup implements cluster.App.
func (b *Bert) Setup(ctx context.Context, r *cluster.Registrar) error {
	if b.Timeout < time.Millisecond || b.MaxErr < 1 || b.MaxErr > 100 || b.Window < 0 {
		return fmt.Errorf("Bert: timeout must be 1ms or more, max_err 1..100, window 0 or more")
	}
	r.On("CHANNEL_PARK", appkit.AnswerCalledLeg)
	appkit.OnMediaReady(r, b.answered)
	r.On(EventInSync, func(ctx context.Context, ev *cluster.Event) { add(ev.Call(), varInSync, 1) })
	r.On(EventTimeout, func(ctx context.Context, ev *cluster.Event) { add(ev.Call(), varTimeouts, 1) })
	r.On(EventLostSync, b.lostSync)
	r.On("CHANNEL_HANGUP", b.hungUp)
	return nil
}

// Originate variables Bert sets on its calls, as switchio's Python Bert
// did, unless the user sets them (dial --codec, --var): mod_bert only
// works on PCMU (mod_bert.c refuses other codecs), a jitter buffer
// (jitterbuffer_msec, read when the calling leg's RTP starts) smooths
// the packets it checks, and bert_timer_name has bert_test pace its
// writes on a timer (mod_bert.c: switch_core_timer_init with it) rather
// than on the packets read.
var originateVars = []originate.Var{
	{Name: "absolute_codec_string", Value: "PCMU"},
	{Name: "jitterbuffer_msec", Value: "100:200:40"},
	{Name: "bert_timer_name", Value: "soft"},
}

// OriginateVars implements appkit.OriginateVarser: PCMU, jitterbuffer_msec
// 100:200:40 and bert_timer_name soft on the calling leg, each unless
// the dial sets it.
func (b *Bert) OriginateVars() []originate.Var { return slices.Clone(originateVars) }

// vars are the channel variables mod_bert reads at bert_test's start.
func (b *Bert) vars() map[string]string {
	v := map[string]string{
		"bert_timeout_ms":      strconv.FormatInt(b.Timeout.Milliseconds(), 10),
		"bert_max_err":         strconv.Itoa(b.MaxErr),
		"bert_hangup_on_error": strconv.FormatBool(b.HangupOnError),
	}
	if b.Window > 0 {
		v["bert_window_ms"] = strconv.FormatInt(b.Window.Milliseconds(), 10)
	}
	return v
}

func (b *Bert) answered(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil {
		return
	}
	if s.IsInbound() && !b.TwoSided {
		_ = s.Queue().Echo()
		return
	}
	if s.IsOutbound() {
		for _, sp := range b.Verdicts() {
			measure.PendVerdict(call, sp.Name)
		}
	}
	add(call, varLegs, 1)
	q := s.Queue()
	vars := b.vars()
	if s.IsInbound() {
		// The called leg (two_sided) gets no originate variables: its
		// bert_test is paced on the same timer.
		vars["bert_timer_name"] = "soft"
	}
	_ = q.SetVars(vars)
	_ = q.Execute("bert_test", "")
}

// lostSync counts a loss of sync with its figures (mod_bert.c adds
// sync_lost_percent, sync_lost_count, cng_count and err_samples).
func (b *Bert) lostSync(ctx context.Context, ev *cluster.Event) {
	call := ev.Call()
	if call == nil {
		return
	}
	add(call, varLost, 1)
	keepMax(call, varErr, ev.Get("err_samples"))
	keepMax(call, varPercent, ev.Get("sync_lost_percent"))
	keepMax(call, varCNG, ev.Get("cng_count"))
}

// hungUp settles the call's verdicts when its last bert leg ends.
func (b *Bert) hungUp(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil || (s.IsInbound() && !b.TwoSided) || call.Var(varLegs) == "" {
		return
	}
	if add(call, varLegs, -1) != 0 {
		return
	}
	in, lost, timeouts := get(call, varInSync), get(call, varLost), get(call, varTimeouts)
	_ = measure.SetVerdict(call, VerdictOK, in > 0 && lost == 0 && timeouts == 0)
	_ = measure.SetVerdict(call, VerdictInSync, in)
	_ = measure.SetVerdict(call, VerdictLostSync, lost)
	_ = measure.SetVerdict(call, VerdictTimeouts, timeouts)
	_ = measure.SetVerdict(call, VerdictErrSamples, int64(getFloat(call, varErr)))
	_ = measure.SetVerdict(call, VerdictLostPercent, getFloat(call, varPercent))
	_ = measure.SetVerdict(call, VerdictCNG, int64(getFloat(call, varCNG)))
}

// add adds d to a call counter and returns it.
func add(c *cluster.Call, name string, d int) int {
	if c == nil {
		return 0
	}
	v := c.UpdateVar(name, func(old string) string {
		n, _ := strconv.Atoi(old)
		return strconv.Itoa(n + d)
	})
	n, _ := strconv.Atoi(v)
	return n
}

func get(c *cluster.Call, name string) int { n, _ := strconv.Atoi(c.Var(name)); return n }

func getFloat(c *cluster.Call, name string) float64 {
	f, _ := strconv.ParseFloat(c.Var(name), 64)
	return f
}

// keepMax keeps the largest of a figure's values.
func keepMax(c *cluster.Call, name, value string) {
	x, err := strconv.ParseFloat(value, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return
	}
	c.UpdateVar(name, func(old string) string {
		if o, err := strconv.ParseFloat(old, 64); err == nil && o >= x {
			return old
		}
		return value
	})
}
