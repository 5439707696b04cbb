package script

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Option is one option of a test file (options(...)), as the dial flag
// it stands for: Flag names the flag ("" for the servers, which are
// HOSTS), Values its values in order (a repeatable flag has several), Pos
// where the file set it.
type Option struct {
	Name, Flag string
	Values     []string
	Pos        string
}

// optionKind is how an option's Starlark value becomes flag values.
type optionKind int

const (
	kindString   optionKind = iota
	kindNumber              // int or float
	kindDuration            // "2s" or seconds
	kindStrings             // a list of strings: a repeatable flag
	kindApps                // {"spec": weight} or ["spec", ...]
	kindSecret              // the name of an environment variable
)

// testOptions are the options a test file may set: name, dial flag, kind.
var testOptions = map[string]struct {
	flag string
	kind optionKind
}{
	"servers":       {"", kindStrings},
	"password_env":  {"password", kindSecret},
	"rate":          {"rate", kindNumber},
	"stages":        {"stage", kindStrings},
	"arrivals":      {"arrivals", kindString},
	"duration":      {"duration", kindDuration},
	"duration_dist": {"duration-dist", kindString},
	"limit":         {"limit", kindNumber},
	"max_offered":   {"max-offered", kindNumber},
	"apps":          {"app", kindApps},
	"thresholds":    {"threshold", kindStrings},
	"out":           {"out", kindString},
	"dest":          {"dest", kindString},
	"seed":          {"seed", kindNumber},
	"warmup":        {"warmup", kindDuration},
	"drain":         {"drain", kindDuration},
}

// OptionNames returns the options a test file may set, sorted.
func OptionNames() []string {
	out := make([]string, 0, len(testOptions))
	for n := range testOptions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// OptionFlag returns the dial flag a test option sets ("" for servers,
// which are HOSTS, and for a name that is no option).
func OptionFlag(name string) string { return testOptions[name].flag }

// LoadTest reads a test file: the options its options(...) call sets,
// sorted by name. Apps the file declares with app() are named in apps by
// their name alone and resolved to the file ("FILE.star#Name"); other
// relative paths in apps are taken from the file's directory. A password
// is never written in a file: password_env names the environment
// variable that holds it, read here. Errors are one line with
// file:line:col.
func LoadTest(path string) ([]Option, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	tl := &testLoader{path: path, loader: loader{file: path}}
	thread := &starlark.Thread{Name: "test " + filepath.Base(path), Print: func(*starlark.Thread, string) {}}
	thread.SetMaxExecutionSteps(maxLoadSteps)
	pre := tl.loader.predeclared()
	pre["options"] = starlark.NewBuiltin("options", tl.options)
	if _, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, path, src, pre); err != nil {
		return nil, oneLine(err)
	}
	if !tl.called {
		return nil, fmt.Errorf("%s: no options(...): a test file sets its run with options(rate = ..., apps = {...})", path)
	}
	// Apps are resolved once the whole file has run: it may declare them
	// after options().
	for i, o := range tl.opts {
		if o.Name == "apps" {
			for j, v := range o.Values {
				tl.opts[i].Values[j] = tl.resolveApp(v)
			}
		}
	}
	return tl.opts, nil
}

// testLoader reads a test file: its options, and the apps it declares.
type testLoader struct {
	path   string
	loader loader
	called bool
	opts   []Option
}

// options is the options(**kwargs) builtin: each keyword an option.
func (tl *testLoader) options(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if tl.called {
		return nil, errors.New("options: called twice")
	}
	tl.called = true
	if len(args) > 0 {
		return nil, errors.New("options: name each option (rate = 20, ...)")
	}
	pos := thread.CallFrame(1).Pos.String()
	for _, kv := range kwargs {
		name := string(kv[0].(starlark.String))
		if name == "password" {
			return nil, errors.New("options: password: never write a password in a test file; set password_env to the name of the environment variable that holds it")
		}
		spec, ok := testOptions[name]
		if !ok {
			return nil, fmt.Errorf("options: unknown option %q (options: %s)", name, strings.Join(OptionNames(), ", "))
		}
		vals, err := tl.values(name, spec.kind, kv[1])
		if err != nil {
			return nil, fmt.Errorf("options: %s: %w", name, err)
		}
		tl.opts = append(tl.opts, Option{Name: name, Flag: spec.flag, Values: vals, Pos: pos})
	}
	sort.Slice(tl.opts, func(i, j int) bool { return tl.opts[i].Name < tl.opts[j].Name })
	return starlark.None, nil
}

// values turns an option's value into its flag's values.
func (tl *testLoader) values(name string, kind optionKind, v starlark.Value) ([]string, error) {
	switch kind {
	case kindString:
		s, ok := starlark.AsString(v)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", v.Type())
		}
		return []string{s}, nil
	case kindNumber, kindDuration:
		return numberOrText(kind, v)
	case kindSecret:
		env, ok := starlark.AsString(v)
		if !ok || env == "" {
			return nil, fmt.Errorf("want the name of an environment variable, got %s", v)
		}
		pw, set := os.LookupEnv(env)
		if !set {
			return nil, fmt.Errorf("the environment variable %s is not set", env)
		}
		return []string{pw}, nil
	case kindApps:
		return tl.apps(v)
	}
	return stringList(v)
}

func numberOrText(kind optionKind, v starlark.Value) ([]string, error) {
	switch x := v.(type) {
	case starlark.Int:
		return []string{x.String()}, nil
	case starlark.Float:
		return []string{strconv.FormatFloat(float64(x), 'g', -1, 64)}, nil
	case starlark.String:
		if kind == kindDuration {
			return []string{string(x)}, nil
		}
	}
	if kind == kindDuration {
		return nil, fmt.Errorf("want a duration (\"2s\") or a number of seconds, got %s", v.Type())
	}
	return nil, fmt.Errorf("want a number, got %s", v.Type())
}

func stringList(v starlark.Value) ([]string, error) {
	l, ok := v.(*starlark.List)
	if !ok {
		return nil, fmt.Errorf("want a list of strings, got %s", v.Type())
	}
	var out []string
	for i := range l.Len() {
		s, ok := starlark.AsString(l.Index(i))
		if !ok {
			return nil, fmt.Errorf("item %d: want a string, got %s", i, l.Index(i).Type())
		}
		out = append(out, s)
	}
	return out, nil
}

// apps reads apps = {"spec": weight, ...} or ["spec", ...] into --app
// values: a name the file declares becomes FILE.star#Name, a relative
// .star path is taken from the file's directory.
func (tl *testLoader) apps(v starlark.Value) ([]string, error) {
	var specs []string
	var weights []string
	switch x := v.(type) {
	case *starlark.Dict:
		for _, item := range x.Items() {
			s, ok := starlark.AsString(item[0])
			w, isInt := item[1].(starlark.Int)
			if !ok || !isInt {
				return nil, fmt.Errorf("want {\"app spec\": weight}, got %s: %s", item[0].Type(), item[1].Type())
			}
			specs, weights = append(specs, s), append(weights, w.String())
		}
	default:
		l, err := stringList(v)
		if err != nil {
			return nil, errors.New("want {\"app spec\": weight} or a list of app specs")
		}
		specs = l
		weights = make([]string, len(l))
	}
	out := make([]string, len(specs))
	for i, s := range specs {
		if weights[i] != "" {
			s += ":" + weights[i]
		}
		out[i] = s
	}
	return out, nil
}

// resolveApp names an app of the file by its file, and a relative script
// path from the file's directory.
func (tl *testLoader) resolveApp(spec string) string {
	name := spec
	if i := strings.IndexAny(spec, "/:"); i >= 0 {
		name = spec[:i]
	}
	for _, t := range tl.loader.apps {
		if t.Name == name {
			return tl.path + "#" + spec
		}
	}
	if path, _, _, ok := SplitFile(spec); ok && !filepath.IsAbs(path) {
		// Only the path is joined: a value after it (a URL) keeps its "//".
		return filepath.Join(filepath.Dir(tl.path), path) + spec[len(path):]
	}
	return spec
}
