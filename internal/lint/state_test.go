package lint

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestNoPackageState keeps mutable state out of package-level vars: state
// shared by the whole process makes packages hard to test in parallel and
// to use twice in one program. Allowed are only sentinel errors, compiled
// regexps and templates, blank vars (interface checks), //go:embed vars and
// unexported vars nothing writes after their declaration (lookup tables)
// whose type is not from sync or sync/atomic.
func TestNoPackageState(t *testing.T) {
	fset, pkgs := loadModule(t)
	var vs []violation
	for _, p := range pkgs {
		vs = append(vs, packageState(fset, p)...)
	}
	report(t, vs)
}

// TestNoInit forbids func init: work done at import time is hidden global
// state (registries, tables filled on load) that callers cannot control.
func TestNoInit(t *testing.T) {
	fset, pkgs := loadModule(t)
	var vs []violation
	for _, p := range pkgs {
		vs = append(vs, initFuncs(fset, p)...)
	}
	report(t, vs)
}

// initFuncs reports the func init declarations of p's non-test files.
func initFuncs(fset *token.FileSet, p *pkg) []violation {
	var vs []violation
	for _, f := range p.files {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				vs = append(vs, violation{fset.Position(fn.Pos()), "func init: do the work where it is needed, or have the caller ask for it"})
			}
		}
	}
	return vs
}

// packageState reports every package-level var of p's non-test files that
// may hold mutable state.
func packageState(fset *token.FileSet, p *pkg) []violation {
	writes := varWrites(fset, p)
	var vs []violation
	for _, f := range p.files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, s := range gd.Specs {
				spec := s.(*ast.ValueSpec)
				for i, name := range spec.Names {
					if rule := varRule(f, gd, spec, i, writes[name.Name]); rule != "" {
						vs = append(vs, violation{fset.Position(name.Pos()), rule})
					}
				}
			}
		}
	}
	return vs
}

// varRule returns the rule that the i-th name of spec, declared in gd of
// file f and written at writes, breaks; or "" if the var is allowed.
func varRule(f *ast.File, gd *ast.GenDecl, spec *ast.ValueSpec, i int, writes []token.Position) string {
	name := spec.Names[i].Name
	var value ast.Expr
	if len(spec.Values) == len(spec.Names) {
		value = spec.Values[i]
	}
	switch {
	case name == "_":
		return ""
	case len(writes) > 0:
		return fmt.Sprintf("var %s is written after its declaration (at %s): package-level mutable state; keep it in a value the caller owns", name, positions(writes))
	case isSentinelSpec(f, spec):
		return ""
	case ast.IsExported(name):
		return fmt.Sprintf("exported var %s: only sentinel errors (Err... = errors.New/fmt.Errorf) may be exported vars; use a const, a func or a field", name)
	case hasEmbed(gd, spec), isCompiled(f, value):
		return ""
	case fromSync(f, spec.Type) || fromSync(f, valueType(f, value)):
		return fmt.Sprintf("var %s holds a sync or sync/atomic value: a process-wide cache or lock; keep it in a value the caller owns", name)
	}
	return ""
}

func positions(ps []token.Position) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s:%d", p.Filename, p.Line))
	}
	return strings.Join(s, ", ")
}

// isSentinelSpec reports whether every name of spec is a sentinel error:
// named Err... or err..., its value a call of errors.New or fmt.Errorf or
// another package's Err... value.
func isSentinelSpec(f *ast.File, spec *ast.ValueSpec) bool {
	if len(spec.Values) != len(spec.Names) {
		return false
	}
	for i, name := range spec.Names {
		if !strings.HasPrefix(name.Name, "Err") && !strings.HasPrefix(name.Name, "err") {
			return false
		}
		v := spec.Values[i]
		sel, isSel := v.(*ast.SelectorExpr)
		if !isCall(f, v, "errors", "New") && !isCall(f, v, "fmt", "Errorf") &&
			!(isSel && importPath(f, sel.X) != "" && strings.HasPrefix(sel.Sel.Name, "Err")) {
			return false
		}
	}
	return true
}

// hasEmbed reports whether the var carries a //go:embed directive.
func hasEmbed(gd *ast.GenDecl, spec *ast.ValueSpec) bool {
	for _, doc := range []*ast.CommentGroup{gd.Doc, spec.Doc} {
		if doc != nil && slices.ContainsFunc(doc.List, func(c *ast.Comment) bool {
			return strings.HasPrefix(c.Text, "//go:embed ")
		}) {
			return true
		}
	}
	return false
}

// isCompiled reports whether value is a regexp or template compiled once
// at start-up: regexp.MustCompile(POSIX) or template.Must.
func isCompiled(f *ast.File, value ast.Expr) bool {
	return isCall(f, value, "regexp", "MustCompile", "MustCompilePOSIX") ||
		isCall(f, value, "html/template", "Must") || isCall(f, value, "text/template", "Must")
}

// valueType returns the type a var's value visibly has: T of T{...},
// &T{...} or new(T), or the function of a sync or sync/atomic call such as
// sync.OnceValue(...); nil otherwise.
func valueType(f *ast.File, value ast.Expr) ast.Expr {
	if u, ok := value.(*ast.UnaryExpr); ok && u.Op == token.AND {
		value = u.X
	}
	switch v := value.(type) {
	case *ast.CompositeLit:
		return v.Type
	case *ast.CallExpr:
		if id, ok := v.Fun.(*ast.Ident); ok && id.Name == "new" && len(v.Args) == 1 {
			return v.Args[0]
		}
		if isCall(f, v, "sync") || isCall(f, v, "sync/atomic") {
			return v.Fun
		}
	}
	return nil
}

// fromSync reports whether the type expression mentions a type of package
// sync or sync/atomic, such as sync.Pool, [4]sync.Pool or *atomic.Int64.
func fromSync(f *ast.File, typ ast.Expr) bool {
	found := false
	if typ != nil {
		ast.Inspect(typ, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				p := importPath(f, sel.X)
				found = found || p == "sync" || p == "sync/atomic"
			}
			return !found
		})
	}
	return found
}

// isCall reports whether e calls a function of the package imported from
// importPath in f; one of names, if any are given.
func isCall(f *ast.File, e ast.Expr, path string, names ...string) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && importPath(f, sel.X) == path && (len(names) == 0 || slices.Contains(names, sel.Sel.Name))
}

// importPath returns the path of the package that e names in file f, or ""
// if e is not the name of one of f's imports.
func importPath(f *ast.File, e ast.Expr) string {
	id, ok := e.(*ast.Ident)
	if !ok {
		return ""
	}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		if importName(imp, p) == id.Name {
			return p
		}
	}
	return ""
}

// importName is the name an import binds: its explicit name, or else the
// last element of its path, skipping a major version suffix such as /v18.
func importName(imp *ast.ImportSpec, p string) string {
	if imp.Name != nil {
		return imp.Name.Name
	}
	name := path.Base(p)
	if dir := path.Dir(p); len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" && dir != "." {
		name = path.Base(dir)
	}
	return name
}

// varWrites returns, by name, where p's non-test files write a
// package-level var after its declaration: x = ..., x[i] = ..., x.f = ...,
// *x = ..., x op= ..., x++, &x, delete(x, k), clear(x), for x = range.
// Identifiers are resolved with go/types, so a local, parameter or result
// that shadows the var is not counted; imports are not loaded (the scopes
// of the package itself are all it needs), so this works whatever the rest
// of the module's state. Writes hidden in a pointer-receiver method call
// (buf.Reset()) cannot be seen without the imported types.
func varWrites(fset *token.FileSet, p *pkg) map[string][]token.Position {
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: noImports{}, Error: func(error) {}}
	tp, _ := conf.Check(p.name, fset, p.files, info)
	writes := map[string][]token.Position{}
	mark := func(e ast.Expr) {
		id := rootIdent(e)
		if id == nil {
			return
		}
		if v, ok := info.Uses[id].(*types.Var); ok && v.Parent() == tp.Scope() {
			writes[id.Name] = append(writes[id.Name], fset.Position(id.Pos()))
		}
	}
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if n.Tok != token.DEFINE {
					for _, lhs := range n.Lhs {
						mark(lhs)
					}
				}
			case *ast.RangeStmt:
				if n.Tok == token.ASSIGN {
					mark(n.Key)
					mark(n.Value)
				}
			case *ast.IncDecStmt:
				mark(n.X)
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					mark(n.X)
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && len(n.Args) > 0 && (id.Name == "delete" || id.Name == "clear") {
					if _, builtin := info.Uses[id].(*types.Builtin); builtin {
						mark(n.Args[0])
					}
				}
			}
			return true
		})
	}
	return writes
}

// rootIdent returns the variable that an assignment to e writes into:
// x for x, x[i], x.f, *x and (x); nil if there is none.
func rootIdent(e ast.Expr) *ast.Ident {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.SelectorExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		default:
			return nil
		}
	}
}

// noImports fails every import: the type checker then still resolves the
// package's own identifiers, which is all varWrites needs.
type noImports struct{}

func (noImports) Import(path string) (*types.Package, error) {
	return nil, fmt.Errorf("lint: imports are not loaded (%s)", path)
}
