package script

import (
	"fmt"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// LoadChanged implements appkit.LoadAware: handlers see the offered load
// as app.offered (rate, limit, hold_ms, hold; load is a Starlark keyword), and what the app's on_load
// returns for it as app.state (frozen). on_load runs on the goroutine
// that changed the load, under the step limit; its failure is logged and
// leaves app.state as it was.
func (a *App) LoadChanged(l appkit.Load) {
	a.loadMu.Lock() // one change at a time: the last one's state wins
	defer a.loadMu.Unlock()
	load := starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
		"rate":    starlark.Float(l.Rate),
		"limit":   starlark.MakeInt(l.Limit),
		"hold_ms": starlark.MakeInt64(l.Hold.Milliseconds()),
		"hold":    starlark.String(l.HoldText()),
	})
	load.Freeze()
	a.mu.Lock()
	state := a.state
	a.mu.Unlock()
	if a.t.onLoad != nil {
		v, err := a.run("on_load", a.t.onLoad, a.withLoad(load, state), load)
		if err != nil {
			a.logLoad(err)
		} else {
			v.Freeze()
			state = v
		}
	}
	a.setArg(a.withLoad(load, state), state)
}

// withLoad returns the handlers' app argument: the parameters, the
// offered load and the state.
func (a *App) withLoad(load, state starlark.Value) *starlarkstruct.Struct {
	d := starlark.StringDict{"offered": load, "state": state}
	for _, p := range a.t.Params {
		d[p.Name], _ = a.params.Attr(p.Name)
	}
	st := starlarkstruct.FromStringDict(starlarkstruct.Default, d)
	st.Freeze()
	return st
}

// setArg makes arg the app argument of the handlers from now on.
func (a *App) setArg(arg *starlarkstruct.Struct, state starlark.Value) {
	a.mu.Lock()
	a.arg, a.state = arg, state
	a.mu.Unlock()
}

// appArg returns the handlers' app argument.
func (a *App) appArg() *starlarkstruct.Struct {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.arg
}

// run calls a hook under the step limit.
func (a *App) run(what string, fn *starlark.Function, args ...starlark.Value) (starlark.Value, error) {
	thread := &starlark.Thread{Name: a.t.Name + " " + what, Print: func(*starlark.Thread, string) {}}
	thread.SetMaxExecutionSteps(a.steps())
	v, err := starlark.Call(thread, fn, args, nil)
	if err != nil {
		return nil, oneLine(err)
	}
	return v, nil
}

// logLoad counts a hook's failure and logs the first one.
func (a *App) logLoad(err error) {
	a.errors.Add(1)
	a.mu.Lock()
	log := a.log
	a.mu.Unlock()
	if log != nil && a.hookLogged.CompareAndSwap(false, true) {
		log.Warn("script on_load failed", "app", a.t.Name, "err", err.Error())
	}
}

// maxHoldFor returns max_hold's answer for hold, computed once per hold
// (the dialer asks for each call and each sweep); a failure, or a result
// that is not a positive int, gives twice the hold and is logged once.
func (a *App) maxHoldFor(hold time.Duration) time.Duration {
	a.mu.Lock()
	if d, ok := a.maxHolds[hold]; ok {
		a.mu.Unlock()
		return d
	}
	a.mu.Unlock()
	d, err := a.callMaxHold(hold)
	if err != nil {
		d = 2 * hold
		a.logLoad(err)
	}
	a.mu.Lock()
	if a.maxHolds == nil || len(a.maxHolds) >= maxHoldCache {
		a.maxHolds = map[time.Duration]time.Duration{}
	}
	a.maxHolds[hold] = d
	a.mu.Unlock()
	return d
}

// callMaxHold runs max_hold for hold: a positive int of ms, or an error.
func (a *App) callMaxHold(hold time.Duration) (time.Duration, error) {
	v, err := a.run("max_hold", a.t.maxHold, a.appArg(), starlark.MakeInt64(hold.Milliseconds()))
	if err != nil {
		return 0, err
	}
	if n, ok := v.(starlark.Int); ok {
		if ms, ok := n.Int64(); ok && ms > 0 {
			return time.Duration(ms) * time.Millisecond, nil
		}
	}
	return 0, fmt.Errorf("max_hold returned %s, want a positive int (ms)", v)
}

// maxHoldCache bounds the holds max_hold's answers are kept for (a hold
// distribution gives each call its own).
const maxHoldCache = 1024

// SelfEndingApp is a script app that ends its calls itself (it declares
// max_hold): appkit.SelfEnding. The dialer does not hang its calls up at
// the hold time; its guard hangs up at MaxHold. The app marks each call
// it ends as planned with call.completed() before hanging it up.
type SelfEndingApp struct{ *App }

// MaxHold implements appkit.SelfEnding with the app's max_hold(app,
// hold_ms), in ms (see maxHoldFor).
func (a SelfEndingApp) MaxHold(hold time.Duration) time.Duration { return a.maxHoldFor(hold) }

// instance returns the app as the registry hands it out: self-ending when
// it declares max_hold.
func (a *App) instance() cluster.App {
	if a.t.maxHold != nil {
		return SelfEndingApp{a}
	}
	return a
}
