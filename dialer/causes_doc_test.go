package dialer_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every cause of switchio's own that the code can write is listed in
// docs/outcomes.md with what it means: the code's "SWITCHIO_*" strings,
// the cluster client's made-up causes (which the dialer maps to its own)
// and UNKNOWN.
func TestCausesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/outcomes.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(SWITCHIO_[A-Z_]+)"`)
	found := map[string]string{"UNKNOWN": "dialer/track.go"}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "bench" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasPrefix(m[1], "SWITCHIO_REAL_") { // environment variables of the opt-in tests
				found[m[1]] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 8 {
		t.Fatalf("found only %v: the scan is broken", found)
	}
	for cause, where := range found {
		if !strings.Contains(string(doc), "`"+cause+"`") {
			t.Errorf("%s (written in %s) is not in docs/outcomes.md", cause, where)
		}
	}
}
