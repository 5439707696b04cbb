package script

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// sessionValue is a leg as handlers see it: its state, and commands that
// are queued (cluster.Queue), never waited for.
type sessionValue struct {
	s   *cluster.Session
	app *App // for delayed sends
}

func (v *sessionValue) String() string        { return "session(" + v.s.UUID() + ")" }
func (v *sessionValue) Type() string          { return "session" }
func (v *sessionValue) Freeze()               {}
func (v *sessionValue) Truth() starlark.Bool  { return true }
func (v *sessionValue) Hash() (uint32, error) { return starlark.String(v.s.UUID()).Hash() }

// maxSchedSeconds bounds sched_hangup: a day, far past any test call and
// within time.Duration.
const maxSchedSeconds = 86400

// sessionMethods are a session's commands: each queues one command.
var sessionMethods = map[string]func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error{
	"answer": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		return noArgs(b, args, kwargs, q.Answer)
	},
	"park": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		return noArgs(b, args, kwargs, q.Park)
	},
	"echo": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		return noArgs(b, args, kwargs, q.Echo)
	},
	"hangup": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		cause := ""
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "cause?", &cause); err != nil {
			return err
		}
		return q.Hangup(cause)
	},
	"playback": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		var url string
		loops := 1
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "url", &url, "loops?", &loops); err != nil {
			return err
		}
		opts := cluster.PlaybackOptions{}
		if loops != 1 {
			opts.Params = map[string]string{"loops": strconv.Itoa(loops)}
		}
		return q.Playback(opts, url)
	},
	"broadcast": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		var path string
		leg := "aleg"
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path, "leg?", &leg); err != nil {
			return err
		}
		return q.Broadcast(path, leg)
	},
	"setvar": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		var name, value string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "value", &value); err != nil {
			return err
		}
		return q.SetVar(name, value)
	},
	"sched_hangup": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		var n starlark.Value
		cause := ""
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "seconds", &n, "cause?", &cause); err != nil {
			return err
		}
		secs, ok := starlark.AsFloat(n)
		if !ok || !(secs >= 0 && secs <= maxSchedSeconds) {
			return fmt.Errorf("%s: seconds %s: want a number of seconds from 0 to 86400", b.Name(), n)
		}
		return q.SchedHangup(time.Duration(secs*float64(time.Second)), cause)
	},
	"bridge": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		var dial string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "dial_string", &dial); err != nil {
			return err
		}
		return q.Bridge(dial)
	},
	"start_record": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		var path string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
			return err
		}
		return q.StartRecord(path)
	},
	"stop_record": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		var path string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
			return err
		}
		return q.StopRecord(path)
	},
	"execute": func(q cluster.Queue, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
		var app, arg string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "app", &app, "arg?", &arg); err != nil {
			return err
		}
		return q.Execute(app, arg)
	},
}

func noArgs(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, f func() error) error {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return err
	}
	return f()
}

// Attr implements starlark.HasAttrs.
func (v *sessionValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "uuid":
		return starlark.String(v.s.UUID()), nil
	case "inbound":
		return starlark.Bool(v.s.IsInbound()), nil
	case "answered":
		return starlark.Bool(v.s.Answered()), nil
	case "call":
		if c := v.s.Call(); c != nil {
			return &callValue{c: c}, nil
		}
		return starlark.None, nil
	case "peer":
		return v.peer(), nil
	case "var":
		return starlark.NewBuiltin("var", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var n string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &n); err != nil {
				return nil, err
			}
			return orNone(v.s.Var(n)), nil
		}), nil
	}
	switch name {
	case "send_dtmf":
		return starlark.NewBuiltin(name, v.sendDTMF), nil
	case "check_audio":
		return starlark.NewBuiltin(name, v.checkAudio), nil
	}
	m, ok := sessionMethods[name]
	if !ok {
		return nil, nil
	}
	return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := m(v.s.Queue(), b, args, kwargs); err != nil {
			return nil, err // the argument errors name the method already
		}
		return starlark.None, nil
	}), nil
}

// sendDTMF is send_dtmf(digits, duration_ms = 0, delay_ms = 0): the
// digits are queued at once, or after delay_ms (a timer of switchio's,
// dropped when the app is torn down or the leg has hung up by then).
func (v *sessionValue) sendDTMF(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var digits string
	ms, delay := 0, 0
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "digits", &digits, "duration_ms?", &ms, "delay_ms?", &delay); err != nil {
		return nil, err
	}
	if ms < 0 || delay < 0 {
		return nil, fmt.Errorf("send_dtmf: negative duration_ms %d or delay_ms %d", ms, delay)
	}
	s, d := v.s, time.Duration(ms)*time.Millisecond
	if delay == 0 {
		if err := s.Queue().SendDTMF(digits, d); err != nil {
			return nil, fmt.Errorf("send_dtmf: %w", err)
		}
		return starlark.None, nil
	}
	if err := checkDTMF(digits); err != nil {
		return nil, fmt.Errorf("send_dtmf: %w", err)
	}
	v.app.after(time.Duration(delay)*time.Millisecond, func() {
		if !s.HungUp() {
			_ = s.Queue().SendDTMF(digits, d)
		}
	})
	return starlark.None, nil
}

// checkAudio is check_audio(name): what the leg hears from now until it
// hangs up is recorded and checked against the app's audio_check (the
// audio_ok, tone_hz ... verdicts; name, e.g. "caller", labels the leg in
// them).
func (v *sessionValue) checkAudio(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var leg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &leg); err != nil {
		return nil, err
	}
	if v.app.t.Check == nil {
		return nil, errors.New("check_audio: the app declares no audio_check")
	}
	rec := v.app.recorder(v.s.Client())
	if rec == nil {
		return nil, errors.New("check_audio: no recorder for the leg's server")
	}
	if err := rec.Start(v.s, leg); err != nil {
		return nil, fmt.Errorf("check_audio: %w", err)
	}
	return starlark.None, nil
}

// checkDTMF checks digits before a delayed send, so that the handler,
// not the timer, gets the error.
func checkDTMF(digits string) error {
	if digits == "" {
		return errors.New("no digits")
	}
	for _, c := range digits {
		if !strings.ContainsRune("0123456789*#ABCDabcdwW", c) {
			return fmt.Errorf("%q is not a DTMF digit", c)
		}
	}
	return nil
}

// peer returns the call's other leg, or None.
func (v *sessionValue) peer() starlark.Value {
	c := v.s.Call()
	if c == nil {
		return starlark.None
	}
	for _, o := range c.Sessions() {
		if o != v.s {
			return &sessionValue{s: o, app: v.app}
		}
	}
	return starlark.None
}

// AttrNames implements starlark.HasAttrs.
func (v *sessionValue) AttrNames() []string {
	names := []string{"uuid", "inbound", "answered", "call", "peer", "var", "send_dtmf", "check_audio"}
	for n := range sessionMethods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// eventValue is an event as handlers see it.
type eventValue struct{ ev *cluster.Event }

func (v *eventValue) String() string        { return "event(" + v.ev.Key + ")" }
func (v *eventValue) Type() string          { return "event" }
func (v *eventValue) Freeze()               {}
func (v *eventValue) Truth() starlark.Bool  { return true }
func (v *eventValue) Hash() (uint32, error) { return 0, errors.New("unhashable: event") }

// Attr implements starlark.HasAttrs: name, body, get(header) and
// var(name) (a channel variable: get("variable_" + name)).
func (v *eventValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(v.ev.Key), nil
	case "body":
		return starlark.String(v.ev.Body), nil
	case "get", "var":
		prefix := ""
		if name == "var" {
			prefix = "variable_"
		}
		return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var h string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &h); err != nil {
				return nil, err
			}
			return orNone(v.ev.Get(prefix + h)), nil
		}), nil
	}
	return nil, nil
}

// AttrNames implements starlark.HasAttrs.
func (v *eventValue) AttrNames() []string { return []string{"body", "get", "name", "var"} }

func orNone(s string) starlark.Value {
	if s == "" {
		return starlark.None
	}
	return starlark.String(s)
}

// callValue is a call (both legs): its state lives here, across handlers.
type callValue struct{ c *cluster.Call }

func (v *callValue) String() string        { return "call(" + v.c.Key() + ")" }
func (v *callValue) Type() string          { return "call" }
func (v *callValue) Freeze()               {}
func (v *callValue) Truth() starlark.Bool  { return true }
func (v *callValue) Hash() (uint32, error) { return starlark.String(v.c.Key()).Hash() }

// stateKey keys a script's values on a call (cluster.Call.SetValue).
type stateKey struct{ name string }

// Attr implements starlark.HasAttrs: key, get(name, default=None),
// set(name, value) (the value is frozen: other handlers may read it at
// once) and verdict(name, value).
func (v *callValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "key":
		return starlark.String(v.c.Key()), nil
	case "get":
		return starlark.NewBuiltin(name, v.get), nil
	case "set":
		return starlark.NewBuiltin(name, v.set), nil
	case "verdict":
		return starlark.NewBuiltin(name, v.verdict), nil
	case "append", "once", "pend", "drop", "skip_check":
		return starlark.NewBuiltin(name, v.textOp), nil
	case "completed":
		return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
				return nil, err
			}
			appkit.MarkCompleted(v.c)
			return starlark.None, nil
		}), nil
	}
	return nil, nil
}

// AttrNames implements starlark.HasAttrs.
func (v *callValue) AttrNames() []string {
	return []string{"append", "completed", "drop", "get", "key", "once", "pend", "set", "skip_check", "verdict"}
}

// textVar is the call variable of a script's text state.
func textVar(name string) string { return "script." + name }

// textOp runs the call's atomic operations, safe across the legs'
// handlers (which may run at once on two servers):
//   - append(name, text): appends to the call's text name, returns it all;
//   - once(name): True the first time only;
//   - pend(verdict): the record waits for the verdict (measure.PendVerdict);
//   - drop(verdict): the verdict is null (measure.DropVerdict);
//   - skip_check(reason): the media check could not be made
//     (media_unchecked, measure.SkipCheck).
func (v *callValue) textOp(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n, text string
	if b.Name() == "append" {
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &n, "text", &text); err != nil {
			return nil, err
		}
		return starlark.String(v.c.UpdateVar(textVar(n), func(old string) string { return old + text })), nil
	}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &n); err != nil {
		return nil, err
	}
	switch b.Name() {
	case "once":
		return starlark.Bool(v.c.UpdateVar(textVar(n)+".once", func(old string) string { return old + "1" }) == "1"), nil
	case "pend":
		measure.PendVerdict(v.c, n)
	case "drop":
		measure.DropVerdict(v.c, n)
	case "skip_check":
		measure.SkipCheck(v.c, n)
	}
	return starlark.None, nil
}

func (v *callValue) get(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n string
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &n, "default?", &def); err != nil {
		return nil, err
	}
	if x, ok := v.c.Value(stateKey{n}).(starlark.Value); ok {
		return x, nil
	}
	return def, nil
}

func (v *callValue) set(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n string
	var x starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &n, "value", &x); err != nil {
		return nil, err
	}
	x.Freeze()
	v.c.SetValue(stateKey{n}, x)
	return starlark.None, nil
}

// verdict sets a declared verdict of the call: a bool, int, float or
// string as its verdict() declared.
func (v *callValue) verdict(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n string
	var x starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &n, "value", &x); err != nil {
		return nil, err
	}
	var g any
	switch t := x.(type) {
	case starlark.Bool:
		g = bool(t)
	case starlark.Int:
		i, ok := t.Int64()
		if !ok {
			return nil, fmt.Errorf("verdict %s: %s out of range", n, t)
		}
		g = i
	case starlark.Float:
		g = float64(t)
	case starlark.String:
		g = string(t)
	default:
		return nil, fmt.Errorf("verdict %s: want a bool, int, float or string, got %s", n, x.Type())
	}
	if err := measure.SetVerdict(v.c, n, g); err != nil {
		return nil, err
	}
	return starlark.None, nil
}
