package script

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// DefaultMaxSteps is the step limit of one handler call: far more than a
// handler that queues a few commands needs, far less than a loop that
// would hold the server's event loop.
const DefaultMaxSteps = 100_000

// App is a script app's instance: a template with its parameters set. It
// implements cluster.App, cluster.Namer, appkit.Describer,
// measure.Verdicter and measure.AudioReceiver.
type App struct {
	t      *Template
	params *starlarkstruct.Struct // the handlers' app argument
	// MaxSteps bounds each handler call (0: DefaultMaxSteps).
	MaxSteps uint64

	errors atomic.Uint64
	logged sync.Map // places already logged: string -> struct{}

	mu     sync.Mutex
	timers map[*time.Timer]struct{} // delayed sends not yet due
	closed bool

	// recs are the audio check's recorders, one per server (a shared
	// instance is set up on each): a leg is recorded by its server's.
	recs map[*cluster.Client]*audiocheck.Recorder
	// arg is the handlers' app argument once a load is known (params,
	// load, state), state what on_load returned; log the first
	// client's logger, for the hooks.
	arg   *starlarkstruct.Struct
	state starlark.Value
	log   *slog.Logger
	// loadMu serialises LoadChanged; maxHolds caches max_hold's answers
	// by hold (a.mu).
	loadMu     sync.Mutex
	maxHolds   map[time.Duration]time.Duration
	hookLogged atomic.Bool
}

// recorder returns the audio check's recorder of c's server, or nil.
func (a *App) recorder(c *cluster.Client) *audiocheck.Recorder {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.recs[c]
}

// after runs f after d unless the app is torn down first.
func (a *App) after(d time.Duration, f func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	if a.timers == nil {
		a.timers = map[*time.Timer]struct{}{}
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		a.mu.Lock()
		_, live := a.timers[t]
		delete(a.timers, t)
		a.mu.Unlock()
		if live {
			f()
		}
	})
	a.timers[t] = struct{}{}
}

// Teardown implements cluster.Teardowner: sends not yet due are dropped,
// checks of recordings in progress are waited for.
func (a *App) Teardown(context.Context, *cluster.Client) error {
	a.mu.Lock()
	a.closed = true
	for t := range a.timers {
		t.Stop()
	}
	clear(a.timers)
	recs := make([]*audiocheck.Recorder, 0, len(a.recs))
	for _, rec := range a.recs {
		recs = append(recs, rec)
	}
	a.mu.Unlock()
	// Checks of recordings in progress finish (outside the lock: they
	// set verdicts, not timers).
	for _, rec := range recs {
		rec.Wait()
	}
	return nil
}

// New returns an instance of t with its parameters set from text
// ("key=value,...", "" for the defaults).
func (t *Template) New(params string) (*App, error) {
	vals := starlark.StringDict{}
	for _, p := range t.Params {
		vals[p.Name] = p.Default
	}
	if strings.TrimSpace(params) != "" {
		for _, kv := range strings.Split(params, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok {
				return nil, fmt.Errorf("%s: parameter %q: want key=value", t.Name, kv)
			}
			p, found := t.param(k)
			if !found {
				return nil, fmt.Errorf("%s: unknown parameter %q (%s)", t.Name, k, t.paramNames())
			}
			val, err := parseParam(p, strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("%s: parameter %s: %w", t.Name, k, err)
			}
			vals[k] = val
		}
	}
	st := starlarkstruct.FromStringDict(starlarkstruct.Default, vals)
	st.Freeze()
	a := &App{t: t, params: st, state: starlark.None}
	// No load known yet (serve, or before the dialer's first call).
	a.arg = a.withLoad(starlark.None, starlark.None)
	return a, nil
}

func (t *Template) param(name string) (Param, bool) {
	for _, p := range t.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func (t *Template) paramNames() string {
	if len(t.Params) == 0 {
		return "it has none"
	}
	names := make([]string, len(t.Params))
	for i, p := range t.Params {
		names[i] = p.Name
	}
	return "its parameters: " + strings.Join(names, ", ")
}

// parseParam reads a parameter's text as the type of its default.
func parseParam(p Param, s string) (starlark.Value, error) {
	switch p.Default.(type) {
	case starlark.Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an int", s)
		}
		return starlark.MakeInt64(n), nil
	case starlark.Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return starlark.Float(f), nil
	case starlark.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return starlark.Bool(b), nil
	}
	return starlark.String(s), nil
}

// AppName implements cluster.Namer.
func (a *App) AppName() string { return a.t.Name }

// Description implements appkit.Describer.
func (a *App) Description() string { return a.t.Description }

// Verdicts implements measure.Verdicter: the declared verdicts and
// script_error.
func (a *App) Verdicts() []measure.VerdictSpec { return a.t.Verdicts }

// ReceivingLegs implements measure.AudioReceiver.
func (a *App) ReceivingLegs() measure.Legs { return a.t.Legs }

// steps is the step limit of one call of a handler or hook.
func (a *App) steps() uint64 {
	if a.MaxSteps == 0 {
		return DefaultMaxSteps
	}
	return a.MaxSteps
}

// Errors returns how many handler calls failed.
func (a *App) Errors() uint64 { return a.errors.Load() }

// Setup implements cluster.App: each handler on its event.
func (a *App) Setup(ctx context.Context, r *cluster.Registrar) error {
	log := r.Client().Logger()
	a.mu.Lock()
	if a.log == nil {
		a.log = log
	}
	a.mu.Unlock()
	if c := a.t.Check; c != nil {
		rec := &audiocheck.Recorder{Every: 1, Dir: c.Dir, ReadDir: c.ReadDir, Keep: c.Keep, ReadOnly: true,
			Expect: audio.Expect{Freq: c.Freq, MaxGap: time.Duration(c.MaxGapMs) * time.Millisecond}}
		if err := rec.Setup(ctx, r); err != nil {
			return fmt.Errorf("%s: %w", a.t.Name, err)
		}
		a.mu.Lock()
		if a.recs == nil {
			a.recs = map[*cluster.Client]*audiocheck.Recorder{}
		}
		a.recs[r.Client()] = rec
		a.mu.Unlock()
	}
	for key, fn := range a.t.handlers {
		h := func(_ context.Context, ev *cluster.Event) { a.call(log, fn, ev) }
		if key == mediaReady {
			appkit.OnMediaReady(r, h)
			continue
		}
		r.On(key, h)
	}
	return nil
}

// call runs one handler for ev under the step limit. A failure is
// counted, logged once per place and left on the call (script_error).
func (a *App) call(log *slog.Logger, fn *starlark.Function, ev *cluster.Event) {
	if ev.Session == nil {
		return
	}
	thread := &starlark.Thread{Name: a.t.Name, Print: func(_ *starlark.Thread, msg string) {
		log.Info("script print", "app", a.t.Name, "msg", msg)
	}}
	thread.SetMaxExecutionSteps(a.steps())
	s := &sessionValue{s: ev.Session, app: a}
	_, err := starlark.Call(thread, fn, starlark.Tuple{a.appArg(), s, &eventValue{ev: ev}}, nil)
	if err == nil {
		return
	}
	a.errors.Add(1)
	where := oneLine(err).Error()
	place := where
	if i := strings.Index(where, ": "); i > 0 {
		place = where[:i]
	}
	if _, seen := a.logged.LoadOrStore(place, struct{}{}); !seen {
		log.Warn("script handler failed", "app", a.t.Name, "event", ev.Key, "err", where)
	}
	if c := ev.Call(); c != nil {
		_ = measure.SetVerdict(c, ScriptError, where)
	}
}
