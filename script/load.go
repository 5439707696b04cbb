package script

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/measure"
)

// maxLoadSteps bounds the steps of a file's top level: declaring apps
// takes a few hundred.
const maxLoadSteps = 1_000_000

// Template is one app a script declares: what app() was given.
type Template struct {
	Name, Description string
	// File is the script the app comes from.
	File     string
	Params   []Param
	Verdicts []measure.VerdictSpec
	// Legs are the legs the app needs audio on (measure.AudioReceiver).
	Legs measure.Legs
	// Check, when set, is how the legs the handlers name
	// (s.check_audio) are recorded and checked (apps/audiocheck).
	Check *AudioCheck
	// onLoad, when set, sees each change of the offered load
	// (appkit.LoadAware); maxHold makes the app self-ending
	// (appkit.SelfEnding).
	onLoad, maxHold *starlark.Function
	handlers        map[string]*starlark.Function // by event key
	pos             syntax.Position               // where app() was called
}

// Param is a declared parameter: its default gives its type (int, float,
// bool or string).
type Param struct {
	Name    string
	Default starlark.Value
	Help    string
}

// Type names the parameter's type as list-apps shows it.
func (p Param) Type() string { return p.Default.Type() }

// Load reads a script file and returns the apps it declares, in order. Its
// errors are one line: file:line:col: what.
func Load(path string) ([]*Template, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	return LoadSource(path, src)
}

// LoadSource is Load of a file's source.
func LoadSource(path string, src []byte) ([]*Template, error) {
	l := &loader{file: path}
	thread := &starlark.Thread{Name: "load " + filepath.Base(path), Print: func(*starlark.Thread, string) {}}
	thread.SetMaxExecutionSteps(maxLoadSteps)
	globals, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, path, src, l.predeclared())
	l.done = true // declarations only while the file runs, not from handlers
	if err != nil {
		return nil, oneLine(err)
	}
	globals.Freeze()
	if len(l.apps) == 0 {
		return nil, fmt.Errorf("%s: declares no app (call app(name = ..., on = {...}))", path)
	}
	return l.apps, nil
}

// oneLine turns a Starlark error into file:line:col: message.
func oneLine(err error) error {
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		// The innermost frame in the script: a builtin's own has no
		// position worth giving.
		for i := range len(ee.CallStack) {
			if fr := ee.CallStack.At(i); fr.Pos.IsValid() && fr.Pos.Filename() != "<builtin>" {
				return fmt.Errorf("%s: %s", fr.Pos, ee.Msg)
			}
		}
		return errors.New(ee.Msg)
	}
	var se syntax.Error
	if errors.As(err, &se) {
		return fmt.Errorf("%s: %s", se.Pos, se.Msg)
	}
	return err
}

// loader collects the apps a file declares.
type loader struct {
	file string
	apps []*Template
	done bool // the file has run: app() is refused
}

// predeclared are the functions a script file is handed.
func (l *loader) predeclared() starlark.StringDict {
	return starlark.StringDict{
		"app":         starlark.NewBuiltin("app", l.app),
		"param":       starlark.NewBuiltin("param", builtinParam),
		"verdict":     starlark.NewBuiltin("verdict", builtinVerdict),
		"audio_check": starlark.NewBuiltin("audio_check", builtinAudioCheck),
		"now_ms":      starlark.NewBuiltin("now_ms", builtinNowMs),
		// A test file's options (LoadTest reads them); loading the
		// file for its apps passes over them.
		"options": starlark.NewBuiltin("options", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.None, nil
		}),
	}
}

// app is the app(name, description, params, verdicts, on, audio) builtin.
func (l *loader) app(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		name, desc, audio string
		params, on        *starlark.Dict
		verdicts          *starlark.List
		check             *AudioCheck
		onLoad, maxHold   *starlark.Function
	)
	if l.done {
		return nil, errors.New("app: apps are declared when the file loads, not from a handler")
	}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "on", &on,
		"description?", &desc, "params?", &params, "verdicts?", &verdicts, "audio?", &audio, "check?", &check,
		"on_load?", &onLoad, "max_hold?", &maxHold); err != nil {
		return nil, err
	}
	for what, fn := range map[string]*starlark.Function{"on_load": onLoad, "max_hold": maxHold} {
		if fn != nil {
			// Hooks and handlers run on many goroutines at once: what
			// they close over must not change.
			fn.Freeze()
		}
		if fn != nil && fn.NumParams() != 2 {
			return nil, fmt.Errorf("app: %s: %s takes %d parameters, want 2 (app, offered or hold_ms)", what, fn.Name(), fn.NumParams())
		}
	}
	t := &Template{Name: name, Description: desc, File: l.file, handlers: map[string]*starlark.Function{},
		pos: thread.CallFrame(1).Pos, onLoad: onLoad, maxHold: maxHold}
	if !validName(name) {
		return nil, fmt.Errorf("app: name %q: want letters, digits and _", name)
	}
	for _, o := range l.apps {
		if o.Name == name {
			return nil, fmt.Errorf("app: %q declared twice", name)
		}
	}
	var err error
	if t.Legs, err = legsOf(audio); err != nil {
		return nil, err
	}
	if t.Params, err = paramsOf(params); err != nil {
		return nil, err
	}
	if t.Verdicts, err = verdictsOf(verdicts); err != nil {
		return nil, err
	}
	if check != nil {
		t.Check = check
		t.Verdicts = append(t.Verdicts, audiocheck.Verdicts()...)
	}
	if err := t.addHandlers(on); err != nil {
		return nil, err
	}
	l.apps = append(l.apps, t)
	return starlark.None, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// legsOf reads audio = "" (none), "caller", "callee" or "both".
func legsOf(s string) (measure.Legs, error) {
	switch s {
	case "", "none":
		return 0, nil
	case "caller":
		return measure.LegCaller, nil
	case "callee":
		return measure.LegCallee, nil
	case "both":
		return measure.BothLegs, nil
	}
	return 0, fmt.Errorf("app: audio %q: want none, caller, callee or both", s)
}

// paramsOf reads params = {"name": param(default, help), ...}, sorted by
// name.
func paramsOf(d *starlark.Dict) ([]Param, error) {
	if d == nil {
		return nil, nil
	}
	var out []Param
	for _, item := range d.Items() {
		name, ok := starlark.AsString(item[0])
		if !ok || !validName(name) {
			return nil, fmt.Errorf("app: parameter name %s: want a name of letters, digits and _", item[0])
		}
		p, ok := item[1].(*paramValue)
		if !ok {
			return nil, fmt.Errorf("app: parameter %s: want param(default, help), got %s", name, item[1].Type())
		}
		out = append(out, Param{Name: name, Default: p.def, Help: p.help})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// verdictsOf reads verdicts = [verdict(...), ...].
func verdictsOf(l *starlark.List) ([]measure.VerdictSpec, error) {
	out := []measure.VerdictSpec{scriptErrorSpec()}
	if l == nil {
		return out, nil
	}
	for i := range l.Len() {
		v, ok := l.Index(i).(*verdictValue)
		if !ok {
			return nil, fmt.Errorf("app: verdicts[%d]: want verdict(name, kind, doc), got %s", i, l.Index(i).Type())
		}
		out = append(out, v.spec)
	}
	return out, nil
}

// addHandlers reads on = {"EVENT": handler, ...}.
func (t *Template) addHandlers(on *starlark.Dict) error {
	for _, item := range on.Items() {
		event, ok := starlark.AsString(item[0])
		if !ok {
			return fmt.Errorf("app: on: event %s: want a name", item[0])
		}
		key, err := eventKey(event)
		if err != nil {
			return err
		}
		fn, ok := item[1].(*starlark.Function)
		if !ok {
			return fmt.Errorf("app: on %s: want a function (app, s, ev), got %s", event, item[1].Type())
		}
		fn.Freeze() // run on many servers' loops at once
		if fn.NumParams() != 3 {
			return fmt.Errorf("app: on %s: %s takes %d parameters, want 3 (app, s, ev)", event, fn.Name(), fn.NumParams())
		}
		t.handlers[key] = fn
	}
	if len(t.handlers) == 0 {
		return errors.New("app: on: no handler")
	}
	return nil
}

// eventKey checks an event name: a FreeSWITCH event switchio can
// subscribe, "CUSTOM subclass", or MEDIA_READY.
func eventKey(name string) (string, error) {
	n := strings.TrimSpace(name)
	if sub, ok := strings.CutPrefix(n, "CUSTOM "); ok && strings.TrimSpace(sub) != "" {
		return "CUSTOM " + strings.TrimSpace(sub), nil
	}
	if n == mediaReady || knownEvents[n] {
		return n, nil
	}
	return "", fmt.Errorf("app: on: unknown event %q (a FreeSWITCH event such as CHANNEL_PARK, \"CUSTOM subclass\" or MEDIA_READY)", name)
}

// mediaReady is switchio's once-per-leg event (appkit.OnMediaReady).
const mediaReady = "MEDIA_READY"

// knownEvents are the FreeSWITCH events a script may handle (switch_event.c
// EVENT_NAMES, those a call's legs raise).
var knownEvents = map[string]bool{
	"CHANNEL_CREATE": true, "CHANNEL_DESTROY": true, "CHANNEL_STATE": true, "CHANNEL_CALLSTATE": true,
	"CHANNEL_ANSWER": true, "CHANNEL_HANGUP": true, "CHANNEL_HANGUP_COMPLETE": true,
	"CHANNEL_EXECUTE": true, "CHANNEL_EXECUTE_COMPLETE": true, "CHANNEL_HOLD": true, "CHANNEL_UNHOLD": true,
	"CHANNEL_BRIDGE": true, "CHANNEL_UNBRIDGE": true, "CHANNEL_PROGRESS": true, "CHANNEL_PROGRESS_MEDIA": true,
	"CHANNEL_OUTGOING": true, "CHANNEL_PARK": true, "CHANNEL_UNPARK": true, "CHANNEL_APPLICATION": true,
	"CHANNEL_ORIGINATE": true, "CHANNEL_UUID": true, "DTMF": true, "PLAYBACK_START": true, "PLAYBACK_STOP": true,
	"RECORD_START": true, "RECORD_STOP": true, "DETECTED_TONE": true, "CALL_UPDATE": true,
}

// paramValue is what param(default, help) returns.
type paramValue struct {
	def  starlark.Value
	help string
}

func (p *paramValue) String() string        { return "param(" + p.def.String() + ")" }
func (p *paramValue) Type() string          { return "param" }
func (p *paramValue) Freeze()               {}
func (p *paramValue) Truth() starlark.Bool  { return true }
func (p *paramValue) Hash() (uint32, error) { return 0, errors.New("unhashable: param") }

// builtinParam is param(default, help=""): default is an int, float, bool
// or string.
func builtinParam(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var def starlark.Value
	var help string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "default", &def, "help?", &help); err != nil {
		return nil, err
	}
	switch def.(type) {
	case starlark.Int, starlark.Float, starlark.Bool, starlark.String:
	default:
		return nil, fmt.Errorf("param: default %s: want an int, float, bool or string", def.Type())
	}
	return &paramValue{def: def, help: help}, nil
}

// verdictValue is what verdict(name, kind, doc, check) returns.
type verdictValue struct{ spec measure.VerdictSpec }

func (v *verdictValue) String() string        { return "verdict(" + v.spec.Name + ")" }
func (v *verdictValue) Type() string          { return "verdict" }
func (v *verdictValue) Freeze()               {}
func (v *verdictValue) Truth() starlark.Bool  { return true }
func (v *verdictValue) Hash() (uint32, error) { return 0, errors.New("unhashable: verdict") }

// builtinVerdict is verdict(name, kind, doc="", check=False): a verdict
// column of the app's calls; kind is "bool", "int", "float" or "string";
// a bool verdict with check=True is a media check (false: a failure).
func builtinVerdict(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, kind, doc string
	var check bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "kind", &kind, "doc?", &doc, "check?", &check); err != nil {
		return nil, err
	}
	if !validName(name) || name == ScriptError {
		return nil, fmt.Errorf("verdict: name %q: want letters, digits and _ (and not %s)", name, ScriptError)
	}
	kinds := map[string]measure.Kind{"bool": measure.KindBool, "int": measure.KindInt, "float": measure.KindFloat, "string": measure.KindString}
	k, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("verdict %s: kind %q: want bool, int, float or string", name, kind)
	}
	if check && k != measure.KindBool {
		return nil, fmt.Errorf("verdict %s: only a bool verdict can be a check", name)
	}
	return &verdictValue{measure.VerdictSpec{Name: name, Kind: k, Doc: doc, Check: check}}, nil
}

// builtinNowMs is now_ms(): this host's clock, in milliseconds since the
// Unix epoch, the one clock a script is handed (to tell, at a hang-up,
// whether what it waited for was due).
func builtinNowMs(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.MakeInt64(time.Now().UnixMilli()), nil
}

// ScriptError is the verdict column that says where a script app's
// handler failed on the call (file:line: error), null when none did.
const ScriptError = "script_error"

func scriptErrorSpec() measure.VerdictSpec {
	return measure.VerdictSpec{Name: ScriptError, Kind: measure.KindString,
		Doc: "where a script handler failed on the call (file:line: error); null when none did"}
}

// AudioCheck is what audio_check() declares: the recorded legs must hear a
// steady tone of Freq Hz (audio.Expect), with dropouts no longer than
// MaxGapMs; the server writes the recordings in Dir, switchio reads them
// in ReadDir (a shared mount; default Dir, default the temp dir).
type AudioCheck struct {
	Freq         float64
	MaxGapMs     int
	Dir, ReadDir string
	Keep         bool
}

func (c *AudioCheck) String() string        { return fmt.Sprintf("audio_check(%g)", c.Freq) }
func (c *AudioCheck) Type() string          { return "audio_check" }
func (c *AudioCheck) Freeze()               {}
func (c *AudioCheck) Truth() starlark.Bool  { return true }
func (c *AudioCheck) Hash() (uint32, error) { return 0, errors.New("unhashable: audio_check") }

// builtinAudioCheck is audio_check(freq, max_gap_ms = 0, dir = "",
// readdir = "", keep = False): the audio check of apps/audiocheck, which a
// handler starts on a leg with s.check_audio(name).
func builtinAudioCheck(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c := &AudioCheck{}
	var freq starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "freq", &freq, "max_gap_ms?", &c.MaxGapMs,
		"dir?", &c.Dir, "readdir?", &c.ReadDir, "keep?", &c.Keep); err != nil {
		return nil, err
	}
	f, ok := starlark.AsFloat(freq)
	if !ok {
		return nil, fmt.Errorf("audio_check: freq %s: want a number", freq.Type())
	}
	c.Freq = f
	if c.Freq <= 0 || c.Freq > 20000 || c.MaxGapMs < 0 {
		return nil, fmt.Errorf("audio_check: freq %g Hz out of 1..20000 or negative max_gap_ms", c.Freq)
	}
	return c, nil
}
