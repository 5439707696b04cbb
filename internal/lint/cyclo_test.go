package lint

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"testing"

	"github.com/fzipp/gocyclo"
)

// maxComplexity is the highest cyclomatic complexity a function may have:
// past it a function has too many paths to read or test one by one.
const maxComplexity = 25

// TestCyclomaticComplexity keeps every non-test function at or under
// maxComplexity.
func TestCyclomaticComplexity(t *testing.T) {
	fset, pkgs := loadModule(t)
	var vs []violation
	for _, p := range pkgs {
		vs = append(vs, complexFuncs(fset, p, maxComplexity)...)
	}
	report(t, vs)
}

// complexFuncs reports the functions of p's non-test files whose
// cyclomatic complexity exceeds max: declared funcs and methods, and
// function literals in package-level var initializers. The complexity is
// gocyclo.Complexity, which counts a function's closures with it.
// gocyclo.AnalyzeASTFile is not used because it skips functions marked
// //gocyclo:ignore, and this rule has no escape hatch.
func complexFuncs(fset *token.FileSet, p *pkg, max int) []violation {
	var vs []violation
	check := func(fn ast.Node, name string) {
		if c := gocyclo.Complexity(fn); c > max {
			vs = append(vs, violation{fset.Position(fn.Pos()),
				fmt.Sprintf("%s has cyclomatic complexity %d (max %d): split it", name, c, max)})
		}
	}
	for _, f := range p.files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				check(d, funcName(d))
			case *ast.GenDecl:
				ast.Inspect(d, func(n ast.Node) bool {
					if lit, ok := n.(*ast.FuncLit); ok {
						check(lit, "func literal")
						return false
					}
					return true
				})
			}
		}
	}
	return vs
}

// funcName is "F" for a function and "(T).M" or "(*T).M" for a method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return "func " + fn.Name.Name
	}
	return fmt.Sprintf("method (%s).%s", types.ExprString(fn.Recv.List[0].Type), fn.Name.Name)
}
