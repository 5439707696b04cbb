package lint

import (
	"go/ast"
	"go/token"
	"testing"
)

// quotingPkg is the one package that writes FreeSWITCH's quoting: each
// context it quotes for has its own tests there (fsquote.Contexts).
const quotingPkg = "internal/fsquote"

// TestQuotingInOnePlace keeps quoting for FreeSWITCH in internal/fsquote:
// a non-test function elsewhere that escapes single quotes with a
// backslash (a single-quote and a backslash character literal passed to
// calls in one body) writes a quoting context that package's tests do not
// cover. Reading quoted text (fsemu parses what clients send) writes no
// quote and is not caught.
func TestQuotingInOnePlace(t *testing.T) {
	fset, pkgs := loadModule(t)
	var vs []violation
	for _, p := range pkgs {
		if p.dir != quotingPkg {
			vs = append(vs, quotingFuncs(fset, p)...)
		}
	}
	report(t, vs)
}

// quotingFuncs reports the functions of p's non-test files that write a
// backslash-escaped single quote.
func quotingFuncs(fset *token.FileSet, p *pkg) []violation {
	var vs []violation
	for _, f := range p.files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if ok && fn.Body != nil && writesEscapedQuote(fn.Body) {
				vs = append(vs, violation{fset.Position(fn.Pos()),
					"func " + fn.Name.Name + " writes single-quote escaping: use internal/fsquote (add a Context with its tests)"})
			}
		}
	}
	return vs
}

// writesEscapedQuote tells whether body writes (as an argument of a call:
// WriteByte, append ...) both a '\” and a '\\' character literal.
func writesEscapedQuote(body *ast.BlockStmt) bool {
	var quote, backslash bool
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		for _, a := range call.Args {
			if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.CHAR {
				switch lit.Value {
				case `'\''`:
					quote = true
				case `'\\'`:
					backslash = true
				}
			}
		}
		return true
	})
	return quote && backslash
}
