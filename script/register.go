package script

import (
	"fmt"
	"path/filepath"
	"strings"

	"go.starlark.net/starlark"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// Ext is the extension of script files.
const Ext = ".star"

// SplitFile reports whether an --app spec names a script file,
// PATH.star[#Name][/key=value,...][:WEIGHT], and splits it into the path,
// the app's name ("" when the file is to declare one app only) and the
// rest (the parameters and weight, as for built-in apps). The path may
// hold '/'.
func SplitFile(spec string) (path, name, rest string, ok bool) {
	for from := 0; ; {
		i := strings.Index(spec[from:], Ext)
		if i < 0 {
			return "", "", "", false
		}
		end := from + i + len(Ext)
		if end == len(spec) || strings.ContainsRune("#:", rune(spec[end])) || spec[end] == '/' && isParams(spec[end+1:]) {
			path, rest = spec[:end], spec[end:]
			if after, found := strings.CutPrefix(rest, "#"); found {
				name, rest = after, ""
				if j := strings.IndexAny(after, "/:"); j >= 0 {
					name, rest = after[:j], after[j:]
				}
			}
			return path, name, rest, true
		}
		from = end
	}
}

// isParams tells whether what follows a path's '/' is parameters
// (key=value,...[:WEIGHT]) rather than more of the path.
func isParams(s string) bool {
	params, _ := splitWeight(s)
	return strings.Contains(params, "=")
}

// splitWeight splits "params[:WEIGHT]" as the built-in apps' specs are
// split (dial's parseAppArg): what follows the last ':' is the weight
// unless it holds '/', '=' or ',' (a value such as a URL's), when it is
// part of the parameters.
func splitWeight(rest string) (params, weight string) {
	i := strings.LastIndexByte(rest, ':')
	if i < 0 || strings.ContainsAny(rest[i+1:], "/=,") {
		return rest, ""
	}
	return rest[:i], rest[i+1:]
}

// NotAScript returns the one-line error for an --app spec that names a
// file other than a script (./apps.py:MyApp), or nil when spec does not
// look like a file.
func NotAScript(spec string) error {
	first := spec
	if i := strings.IndexAny(spec, ":/"); i >= 0 && !strings.HasPrefix(spec, ".") && !strings.HasPrefix(spec, "/") {
		first = spec[:i]
	}
	file := first
	if strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || strings.HasPrefix(spec, "/") {
		file, _, _ = strings.Cut(spec, ":")
	}
	if ext := filepath.Ext(file); ext != "" && ext != Ext && !strings.ContainsAny(ext, "=,") {
		return fmt.Errorf("--app %s: %s is not a script: switchio loads apps from %s files (Starlark), or a built-in app by name", spec, file, Ext)
	}
	return nil
}

// Register loads the script at path and adds its apps to reg, each under
// the name "<file>#<Name>" (the file's base name): a spec for reg.New is
// that name, then the parameters. It returns the apps' names in the
// file's order. A file already registered is not loaded again.
func Register(reg *appkit.Registry, path string) ([]string, error) {
	ts, err := Load(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range ts {
		name := filepath.Base(path) + "#" + t.Name
		names = append(names, name)
		if info, ok := reg.Get(name); ok {
			if info.Package == path {
				continue
			}
			return nil, fmt.Errorf("%s: app %s: %s already registered from %s", path, t.Name, name, info.Package)
		}
		info := appkit.Info{Name: name, Package: path, Description: t.Description}
		for _, p := range t.Params {
			def := p.Default.String()
			if str, ok := starlark.AsString(p.Default); ok {
				def = str
			}
			info.Params = append(info.Params, appkit.Param{Name: p.Name, Type: p.Type(), Default: def, Help: p.Help})
		}
		t := t
		build := func(params string) (cluster.App, error) {
			a, err := t.New(params)
			if err != nil {
				return nil, err
			}
			return a.instance(), nil
		}
		if err := reg.RegisterBuilder(info, build); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// Resolve registers the script an --app spec names and returns the spec
// for reg.New (its registered name and the parameters) and the weight's
// text ("" when not given). spec must be one SplitFile accepts.
func Resolve(reg *appkit.Registry, spec string) (regSpec, weightText string, err error) {
	path, name, rest, _ := SplitFile(spec)
	names, err := Register(reg, path)
	if err != nil {
		return "", "", err
	}
	chosen := ""
	switch {
	case name != "":
		for _, n := range names {
			if strings.HasSuffix(n, "#"+name) {
				chosen = n
			}
		}
		if chosen == "" {
			return "", "", fmt.Errorf("%s: no app %q (it declares %s)", path, name, declared(names))
		}
	case len(names) == 1:
		chosen = names[0]
	default:
		return "", "", fmt.Errorf("%s declares %s: name one, %s#Name", path, declared(names), path)
	}
	params, weight := splitWeight(rest)
	return chosen + params, weight, nil
}

func declared(names []string) string {
	var out []string
	for _, n := range names {
		_, app, _ := strings.Cut(n, "#")
		out = append(out, app)
	}
	return strings.Join(out, ", ")
}
