package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tests below run each rule's checker on small in-memory packages: one
// source that breaks the rule, one that keeps it, and the edge cases the
// checker must get right. Each want entry is a substring of one expected
// violation, in position order.

func TestPackageStateChecker(t *testing.T) {
	tests := []struct {
		name string
		srcs map[string]string // file name -> source, all of package p
		want []string
	}{
		{"sentinel errors are allowed", src(`
import ("errors"; "fmt"; "io")
var ErrA = errors.New("a")
var (
	errB      = fmt.Errorf("b: %w", ErrA)
	ErrC, ErrD = io.ErrClosedPipe, io.ErrUnexpectedEOF
)`), nil},
		{"an Err var that is no error call is not a sentinel", src(`
import "errors"
var ErrA = errors.Join()
var StopRouting = errors.New("stop")`), []string{"exported var ErrA", "exported var StopRouting"}},
		{"exported var is flagged", src(`var Default = []string{"a"}`), []string{"exported var Default"}},
		{"compiled regexps and templates are allowed", src(`
import ("regexp"; "html/template"; tt "text/template")
var re = regexp.MustCompile("a+")
var rp = regexp.MustCompilePOSIX("a+")
var page = template.Must(template.New("x").Parse(""))
var text = tt.Must(tt.New("x").Parse(""))`), nil},
		{"exported regexp is flagged", src(`
import "regexp"
var Re = regexp.MustCompile("a+")`), []string{"exported var Re"}},
		{"blank and embed vars are allowed", src(`
import _ "embed"
var _ fmt.Stringer = T{}
//go:embed page.html
var pageHTML string`), nil},
		{"unwritten lookup table is allowed", src(`
var names = map[int]string{1: "one"}
var table = func() (t [4]bool) { t[1] = true; return }()
func name(i int) string { return names[i] }`), nil},
		{"var assigned in a function is flagged", src(`
var count int
func bump() { count = 2 }`), []string{"var count is written after its declaration (at a.go:"}},
		{"write in another file of the package is flagged", map[string]string{
			"a.go": "package p\nvar hooks []func()\n",
			"b.go": "package p\nfunc add(f func()) { hooks = append(hooks, f) }\n",
		}, []string{"var hooks is written after its declaration (at b.go:2)"}},
		{"element, field, pointer and op= writes are flagged", src(`
var m = map[string]int{}
var s struct{ n int }
var p = new(int)
var n int
func f() { m["a"] = 1; s.n = 2; *p = 3; n += 4 }`), []string{"var m is", "var s is", "var p is", "var n is"}},
		{"++, &, delete, clear and range assignment are flagged", src(`
var a, b int
var m = map[int]int{}
var l = []int{1}
var k int
func f() *int { a++; delete(m, 1); clear(l); for k = range l {}; return &b }`), []string{"var a is", "var b is", "var m is", "var l is", "var k is"}},
		{"locals, parameters and closures that shadow the var are not writes", src(`
var x = 1
var y = []int{}
func f(y []int) int {
	x := 2
	x = 3
	y = append(y, x)
	g := func(x int) { x++ }
	g(x)
	return len(y)
}`), nil},
		{"a builtin named delete shadowed by a local func is not a write", src(`
var m = map[int]int{}
func f() { delete := func(map[int]int, int) {}; delete(m, 1) }`), nil},
		{"sync values are flagged", src(`
import ("sync"; "sync/atomic")
var pool sync.Pool
var pools [4]sync.Pool
var cache = sync.Map{}
var mu = &sync.Mutex{}
var hits = new(atomic.Int64)
var load = sync.OnceValue(func() int { return 1 })`), []string{"var pool holds", "var pools holds", "var cache holds", "var mu holds", "var hits holds", "var load holds"}},
		{"a written sentinel is flagged", src(`
import "errors"
var ErrA = errors.New("a")
func f() { ErrA = nil }`), []string{"var ErrA is written"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset, p := parseSources(t, "p", tt.srcs)
			checkViolations(t, packageState(fset, p), tt.want)
		})
	}
}

func TestInitChecker(t *testing.T) {
	tests := []struct {
		name string
		srcs map[string]string
		want []string
	}{
		{"func init is flagged", src(`func init() {}`), []string{"a.go:2: func init"}},
		{"a method named init is not", src(`type T struct{}; func (T) init() {}`), nil},
		{"func init in a test file is not", map[string]string{"a_test.go": "package p\nfunc init() {}\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset, p := parseSources(t, "p", tt.srcs)
			checkViolations(t, initFuncs(fset, p), tt.want)
		})
	}
}

func TestComplexityChecker(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"at the limit", "func f(x int) {\n" + ifs(maxComplexity-1) + "}", nil},
		{"over the limit", "func f(x int) {\n" + ifs(maxComplexity) + "}", []string{"a.go:2: func f has cyclomatic complexity 26 (max 25)"}},
		{"a method over the limit", "type T int\nfunc (t *T) m(x int) {\n" + ifs(maxComplexity) + "}", []string{"method (*T).m has cyclomatic complexity 26"}},
		{"closures count with their function", "func f(x int) {\n_ = func() {\n" + ifs(maxComplexity) + "}\n}", []string{"func f has cyclomatic complexity 26"}},
		{"package-level func literals are checked", "var f = func(x int) {\n" + ifs(maxComplexity) + "}", []string{"func literal has cyclomatic complexity 26"}},
		{"//gocyclo:ignore does not excuse", "//gocyclo:ignore\nfunc f(x int) {\n" + ifs(maxComplexity) + "}", []string{"func f has"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset, p := parseSources(t, "p", src(tt.src))
			checkViolations(t, complexFuncs(fset, p, maxComplexity), tt.want)
		})
	}
}

func TestExampleChecker(t *testing.T) {
	const lib = "package p\n// F is exported.\nfunc F() {}\n"
	tests := []struct {
		name string
		dir  string
		srcs map[string]string
		want []string
	}{
		{"example with output", "p", map[string]string{"a.go": lib,
			"a_test.go": "package p\nfunc ExampleF() {\n\tF()\n\t// Output:\n}\n"}, nil},
		{"example in the external test package", "p", map[string]string{"a.go": lib,
			"a_test.go": "package p_test\nimport \"fmt\"\nfunc Example() {\n\tfmt.Println(1)\n\t// Output: 1\n}\n"}, nil},
		{"unordered output counts", "p", map[string]string{"a.go": lib,
			"a_test.go": "package p\nimport \"fmt\"\nfunc ExampleF() {\n\tfmt.Println(1)\n\t// Unordered output: 1\n}\n"}, nil},
		{"example without output", "p", map[string]string{"a.go": lib,
			"a_test.go": "package p\nfunc ExampleF() {\n\tF()\n}\n"}, []string{"a.go:1: package p has exported identifiers but no func Example"}},
		{"output comment outside the example", "p", map[string]string{"a.go": lib,
			"a_test.go": "package p\nfunc ExampleF() {\n\tF()\n}\n\n// Output:\n"}, []string{"package p has"}},
		{"no example at all", "x/p", map[string]string{"a.go": lib, "doc.go": "// Package p.\npackage p\n"}, []string{"doc.go:2: package p has"}},
		{"nothing exported", "p", map[string]string{"a.go": "package p\nfunc f() {}\n"}, nil},
		{"command", "cmd/p", map[string]string{"a.go": "package main\nfunc F() {}\n"}, nil},
		{"internal package", "internal/p", map[string]string{"a.go": lib}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset, p := parseSources(t, tt.dir, tt.srcs)
			var got []violation
			if v, ok := missingExample(fset, p); ok {
				got = append(got, v)
			}
			checkViolations(t, got, tt.want)
		})
	}
}

// src makes a one-file package p, a.go, of the given declarations; they
// start on line 2.
func src(decls string) map[string]string {
	return map[string]string{"a.go": "package p\n" + strings.TrimPrefix(decls, "\n")}
}

// ifs returns n if statements, each adding one to a function's complexity.
func ifs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "\tif x == %d {\n\t\treturn\n\t}\n", i)
	}
	return b.String()
}

func TestLoadTree(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":            "module m\n",
		"a.go":              "package m\n",
		"sub/b.go":          "package sub\n",
		"sub/b_test.go":     "package sub_test\n",
		"sub/testdata/x.go": "package x\n",
		"vendor/v/x.go":     "package v\n",
		".hidden/x.go":      "package x\n",
		"_skip/x.go":        "package x\n",
		"nested/go.mod":     "module n\n",
		"nested/x.go":       "package n\n",
		"nested/deep/x.go":  "package deep\n",
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, pkgs := loadTree(t, root)
	var got []string
	for _, p := range pkgs {
		got = append(got, fmt.Sprintf("%s:%s:%d+%d", p.dir, p.name, len(p.files), len(p.testFiles)))
	}
	if want := []string{".:m:1+0", "sub:sub:1+1"}; !slices.Equal(got, want) {
		t.Errorf("packages (dir:name:files+test files) = %q, want %q", got, want)
	}
}
