package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chzyer/readline"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/switchio/switchio/dialer"
)

// shell is dial --interactive: a Starlark prompt with the running dial in
// scope as o. Its lines are read with line editing and history; what the
// run logs is printed above the prompt. Ctrl-D ends the shell and stops
// the run as Ctrl-C does.
type shell struct {
	rl *readline.Instance
	// in feeds the prompt from standard input: closing it ends a pending
	// read, which readline's own Close does not (it would wait for a key).
	in   *io.PipeWriter
	d    *dialer.Originator
	note func(string)
	stop chan<- os.Signal // the run's signals: Ctrl-D is an interrupt
	wg   sync.WaitGroup
}

// errNoTerminal is --interactive's error without a terminal.
var errNoTerminal = errors.New("--interactive needs a terminal on standard input (it reads a prompt's lines)")

// newShell opens the prompt on the terminal.
func newShell() (*shell, error) {
	pr, pw := io.Pipe()
	rl, err := readline.NewEx(&readline.Config{Prompt: "switchio> ", HistoryLimit: 500, InterruptPrompt: "^C", EOFPrompt: "exit",
		Stdin: pr})
	if err != nil {
		return nil, fmt.Errorf("--interactive: %w", err)
	}
	// Blocked on the terminal until a key comes or the process ends; the
	// pipe's end is what close waits for.
	go func() { _, _ = io.Copy(pw, os.Stdin) }()
	return &shell{rl: rl, in: pw}, nil
}

// logs is where the run's log lines and notes go: above the prompt.
func (sh *shell) logs() io.Writer { return sh.rl.Stderr() }

// start runs the prompt over d until Ctrl-D or close.
func (sh *shell) start(d *dialer.Originator, note func(string), stop chan<- os.Signal) {
	sh.d, sh.note, sh.stop = d, note, stop
	sh.wg.Add(1)
	go sh.run()
}

// close ends the prompt and waits for it.
func (sh *shell) close() {
	_ = sh.in.Close()
	sh.rl.Close()
	sh.wg.Wait()
}

func (sh *shell) run() {
	defer sh.wg.Done()
	out := sh.rl.Stdout()
	fmt.Fprintln(out, "switchio shell: the run is o (help() lists what it does); Ctrl-D stops the run")
	thread := &starlark.Thread{Name: "shell", Print: func(_ *starlark.Thread, msg string) { fmt.Fprintln(out, msg) }}
	env := starlark.StringDict{
		"o": &dialValue{sh: sh},
		"help": starlark.NewBuiltin("help", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			fmt.Fprint(out, shellHelp)
			return starlark.None, nil
		}),
	}
	opts := &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true}
	for {
		line, err := sh.rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			continue // Ctrl-C at the prompt clears the line; the run's own Ctrl-C still works
		}
		if err != nil { // Ctrl-D, or the run has ended
			select {
			case sh.stop <- os.Interrupt:
			default:
			}
			return
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		thread.SetMaxExecutionSteps(10_000_000)
		if v, err := starlark.EvalOptions(opts, thread, "<shell>", line, env); err == nil {
			if v != starlark.None {
				fmt.Fprintln(out, v)
			}
			continue
		} else if _, isSyntax := err.(syntax.Error); !isSyntax {
			fmt.Fprintln(out, "error:", err)
			continue
		}
		if _, err := starlark.ExecFileOptions(opts, thread, "<shell>", line, env); err != nil {
			fmt.Fprintln(out, "error:", err)
		}
	}
}

const shellHelp = `o.rate = 80            target calls per second (o.rate reads it)
o.limit = 500          concurrent call limit
o.duration = "3s"      hold of the calls offered from now (or seconds)
o.max_offered = 1000   calls to offer in all (0: no end)
o.weights              the apps' weights; o.weight("TonePlay", 2) changes one
o.stats()              the run now: state, offered, answered, failed, active, rates
o.summary()            the summary so far (as summary.json)
o.hupall()             hang up this run's calls (offering goes on)
o.stop()               stop offering; the run ends once its calls have
Ctrl-D                 stop the run as Ctrl-C does
`

// dialValue is the running dial as the shell's o. Each change is the
// dialer's own (the summary's and the report's changes) and is noted.
type dialValue struct{ sh *shell }

func (v *dialValue) String() string        { return "<the running dial>" }
func (v *dialValue) Type() string          { return "dial" }
func (v *dialValue) Freeze()               {}
func (v *dialValue) Truth() starlark.Bool  { return true }
func (v *dialValue) Hash() (uint32, error) { return 0, errors.New("unhashable: dial") }

// AttrNames implements starlark.HasAttrs.
func (v *dialValue) AttrNames() []string {
	return []string{"duration", "hupall", "limit", "max_offered", "rate", "stats", "stop", "summary", "weight", "weights"}
}

// Attr implements starlark.HasAttrs.
func (v *dialValue) Attr(name string) (starlark.Value, error) {
	d := v.sh.d
	st := d.Stats()
	switch name {
	case "rate":
		return starlark.Float(st.Rate), nil
	case "limit":
		return starlark.MakeInt(st.Limit), nil
	case "max_offered":
		return starlark.MakeUint64(st.MaxOffered), nil
	case "duration":
		sm := d.Summary()
		hold := time.Duration(sm.HoldS * float64(time.Second)).String()
		if sm.HoldDist != "" && sm.HoldDist != "fixed" {
			hold = sm.HoldDist + " (mean " + hold + ")"
		}
		return starlark.String(hold), nil
	case "weights":
		w := starlark.NewDict(4)
		for _, id := range d.AppIDs() {
			if n, ok := d.Weight(id); ok {
				_ = w.SetKey(starlark.String(d.AppLabel(id)), starlark.MakeInt(n))
			}
		}
		return w, nil
	case "stats", "summary", "hupall", "stop", "weight":
		return starlark.NewBuiltin(name, v.method), nil
	}
	return nil, nil
}

// SetField implements starlark.HasSetField: o.rate, o.limit, o.duration
// and o.max_offered change the run.
func (v *dialValue) SetField(name string, val starlark.Value) error {
	d := v.sh.d
	var err error
	switch name {
	case "rate":
		f, ok := starlark.AsFloat(val)
		if !ok {
			return fmt.Errorf("o.rate: want a number, got %s", val.Type())
		}
		err = d.SetRate(f)
	case "limit":
		var n int
		if err = starlark.AsInt(val, &n); err == nil {
			err = d.SetLimit(n)
		}
	case "max_offered":
		var n uint64
		if err = starlark.AsInt(val, &n); err == nil {
			d.SetMaxOffered(n)
		}
	case "duration":
		var dur time.Duration
		if dur, err = durationOf(val); err == nil {
			d.SetDuration(dur)
		}
	default:
		return fmt.Errorf("o.%s cannot be set (settable: rate, limit, duration, max_offered)", name)
	}
	if err != nil {
		return fmt.Errorf("o.%s: %w", name, err)
	}
	v.sh.note(fmt.Sprintf("shell: %s = %s", name, val))
	return nil
}

// durationOf reads "3s" or a number of seconds.
func durationOf(v starlark.Value) (time.Duration, error) {
	if s, ok := starlark.AsString(v); ok {
		return time.ParseDuration(s)
	}
	if f, ok := starlark.AsFloat(v); ok && f >= 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("want a duration (\"3s\") or seconds, got %s", v.Type())
}

// method runs o.stats(), o.summary(), o.hupall(), o.stop() and
// o.weight(app, w).
func (v *dialValue) method(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	d := v.sh.d
	switch b.Name() {
	case "weight":
		var app string
		var w int
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "app", &app, "weight", &w); err != nil {
			return nil, err
		}
		for _, id := range d.AppIDs() {
			if d.AppLabel(id) == app {
				if err := d.SetWeight(id, w); err != nil {
					return nil, err
				}
				v.sh.note(fmt.Sprintf("shell: weight %s = %d", app, w))
				return starlark.None, nil
			}
		}
		return nil, fmt.Errorf("o.weight: no app %q (o.weights lists them)", app)
	}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	switch b.Name() {
	case "stats":
		return statsDict(d.Stats()), nil
	case "summary":
		raw, err := json.Marshal(d.Summary())
		if err != nil {
			return nil, err
		}
		return starlark.String(raw), nil
	case "hupall":
		v.sh.note("shell: hupall")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return starlark.None, d.Hupall(ctx)
	case "stop":
		v.sh.note("shell: stop")
		d.Stop()
	}
	return starlark.None, nil
}

// statsDict is o.stats(): the live figures, sorted by name.
func statsDict(st dialer.Stats) *starlark.Dict {
	m := map[string]starlark.Value{
		"state": starlark.String(st.State.String()), "offered": starlark.MakeUint64(st.Offered),
		"answered": starlark.MakeUint64(st.Answered), "failed": starlark.MakeUint64(st.Failed),
		"active": starlark.MakeInt(st.Active), "rate": starlark.Float(st.Rate),
		"offered_cps": starlark.Float(st.OfferedCPS), "answered_cps": starlark.Float(st.AnsweredCPS),
		"limit": starlark.MakeInt(st.Limit),
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := starlark.NewDict(len(m))
	for _, k := range keys {
		_ = d.SetKey(starlark.String(k), m[k])
	}
	return d
}
