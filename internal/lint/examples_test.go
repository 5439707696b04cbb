package lint

import (
	"go/ast"
	"go/doc"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// TestEveryPublicPackageHasExample asks every public package for at least
// one Example with an // Output: comment: the example shows how the package
// is used, and go test checks it still works that way.
func TestEveryPublicPackageHasExample(t *testing.T) {
	fset, pkgs := loadModule(t)
	var vs []violation
	for _, p := range pkgs {
		if v, ok := missingExample(fset, p); ok {
			vs = append(vs, v)
		}
	}
	report(t, vs)
}

// missingExample reports p, positioned at its package clause, if it is
// public and none of its _test.go files has a runnable example.
func missingExample(fset *token.FileSet, p *pkg) (violation, bool) {
	if !isPublic(p) || hasRunnableExample(p) {
		return violation{}, false
	}
	// Point at the file with the package comment, if any: usually doc.go.
	f := p.files[0]
	if i := slices.IndexFunc(p.files, func(f *ast.File) bool { return f.Doc != nil }); i >= 0 {
		f = p.files[i]
	}
	return violation{fset.Position(f.Package), "package " + p.name +
		" has exported identifiers but no func Example... with an // Output: comment in its _test.go files"}, true
}

// isPublic reports whether p is a package other modules can import and use:
// not a command, not under internal/, and exporting at least one identifier.
func isPublic(p *pkg) bool {
	if p.name == "main" || slices.Contains(strings.Split(p.dir, "/"), "internal") {
		return false
	}
	for _, f := range p.files {
		for _, d := range f.Decls {
			if exports(d) {
				return true
			}
		}
	}
	return false
}

// exports reports whether d declares an exported function, type, var or
// const (methods are reached through their type).
func exports(d ast.Decl) bool {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Recv == nil && d.Name.IsExported()
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if s.Name.IsExported() {
					return true
				}
			case *ast.ValueSpec:
				if slices.ContainsFunc(s.Names, (*ast.Ident).IsExported) {
					return true
				}
			}
		}
	}
	return false
}

// hasRunnableExample reports whether p's test files hold an example that
// go test runs: go/doc finds it exactly as go test does, and it has an
// output comment (an empty "// Output:" counts).
func hasRunnableExample(p *pkg) bool {
	return slices.ContainsFunc(doc.Examples(p.testFiles...), func(ex *doc.Example) bool {
		return ex.Output != "" || ex.EmptyOutput
	})
}
