package lint

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// pkg is one package of the module as the rules see it: the parsed files of
// one directory, split into the package's own files and its _test.go files
// (both the package's and the external name_test package's).
type pkg struct {
	dir       string      // slash-separated, relative to the module root; "." for the root
	name      string      // package name of the non-test files
	files     []*ast.File // non-test files
	testFiles []*ast.File
}

// violation is one breach of a rule, reported as file:line: rule.
type violation struct {
	pos  token.Position
	rule string
}

func (v violation) String() string {
	return fmt.Sprintf("%s:%d: %s", v.pos.Filename, v.pos.Line, v.rule)
}

// report fails t listing every violation, sorted by position, so the
// reader has the complete list of what to fix.
func report(t *testing.T, vs []violation) {
	t.Helper()
	if len(vs) == 0 {
		return
	}
	sortViolations(vs)
	var b strings.Builder
	fmt.Fprintf(&b, "%d violation(s):\n", len(vs))
	for _, v := range vs {
		fmt.Fprintf(&b, "\t%s\n", v)
	}
	t.Error(b.String())
}

func sortViolations(vs []violation) {
	sort.Slice(vs, func(i, j int) bool {
		a, b := vs[i].pos, vs[j].pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Line < b.Line
	})
}

// moduleRoot returns the directory holding go.mod, going up from the
// test's working directory (the package directory under go test).
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// loadModule parses every Go file of the module, with comments, and groups
// them into packages. File names in positions are relative to the module
// root. It skips what the go tool skips (testdata, vendor, directories
// starting with . or _) and any nested module: a directory holding its own
// go.mod, such as bench/.
func loadModule(t testing.TB) (*token.FileSet, []*pkg) {
	t.Helper()
	return loadTree(t, moduleRoot(t))
}

// loadTree is loadModule for the module rooted at root.
func loadTree(t testing.TB, root string) (*token.FileSet, []*pkg) {
	t.Helper()
	fset := token.NewFileSet()
	var l loader
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && skipDir(p, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, rel, src, parser.ParseComments)
		if err != nil {
			return err
		}
		l.add(path.Dir(rel), strings.HasSuffix(rel, "_test.go"), f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fset, l.pkgs
}

// skipDir reports whether the walk leaves out the directory at p.
func skipDir(p, name string) bool {
	if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	_, err := os.Stat(filepath.Join(p, "go.mod"))
	return !errors.Is(err, fs.ErrNotExist)
}

// loader groups parsed files into packages by directory and package name.
type loader struct{ pkgs []*pkg }

func (l *loader) add(dir string, test bool, f *ast.File) {
	name := f.Name.Name
	if test {
		name = strings.TrimSuffix(name, "_test")
	}
	i := slices.IndexFunc(l.pkgs, func(p *pkg) bool { return p.dir == dir && p.name == name })
	if i < 0 {
		i = len(l.pkgs)
		l.pkgs = append(l.pkgs, &pkg{dir: dir, name: name})
	}
	if test {
		l.pkgs[i].testFiles = append(l.pkgs[i].testFiles, f)
	} else {
		l.pkgs[i].files = append(l.pkgs[i].files, f)
	}
}

// parseSources parses in-memory sources, keyed by file name, as one
// package in directory dir; the checkers' own tests use it.
func parseSources(t *testing.T, dir string, srcs map[string]string) (*token.FileSet, *pkg) {
	t.Helper()
	fset := token.NewFileSet()
	var l loader
	for _, name := range slices.Sorted(maps.Keys(srcs)) {
		f, err := parser.ParseFile(fset, name, srcs[name], parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		l.add(dir, strings.HasSuffix(name, "_test.go"), f)
	}
	if len(l.pkgs) != 1 {
		t.Fatalf("sources make %d packages, want 1", len(l.pkgs))
	}
	return fset, l.pkgs[0]
}

// checkViolations compares a checker's violations, in position order, with
// want: one substring of the rule text per expected violation.
func checkViolations(t *testing.T, got []violation, want []string) {
	t.Helper()
	sortViolations(got)
	if len(got) != len(want) {
		t.Fatalf("got %d violations %v, want %d %q", len(got), got, len(want), want)
	}
	for i, v := range got {
		if !strings.Contains(v.String(), want[i]) {
			t.Errorf("violation %d = %q, want it to mention %q", i, v, want[i])
		}
	}
}
