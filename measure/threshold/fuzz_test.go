package threshold

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that its errors are one-line
// *ParseErrors pointing inside the expression, and that a parsed
// threshold reads back from its canonical form and evaluates. The seed
// corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, e := range []string{
		"p99(call_setup_latency)<200ms", "asr>=99%", "failed{cause=USER_BUSY}<10",
		`asr{app="TonePlay/freq=440,dur=2"}>=0.9`, " p99 ( pdd ) { server = fs1:8021 } < 2.5s ",
	} {
		f.Add(e)
	}
	s := summary()
	f.Fuzz(func(t *testing.T, expr string) {
		th, err := Parse(expr)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): %T %v, want a *ParseError", expr, err, err)
			}
			if pe.Expr != expr || pe.Column < 1 || pe.Column > utf8.RuneCountInString(expr)+1 {
				t.Fatalf("Parse(%q): expr %q, column %d", expr, pe.Expr, pe.Column)
			}
			if msg := err.Error(); strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("Parse(%q): error with a control character: %q", expr, msg)
			}
			return
		}
		canon := th.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", expr, canon, err)
		}
		if again != th {
			t.Fatalf("Parse(%q) = %+v; its canonical form %q parses to %+v", expr, th, canon, again)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, again.String())
		}
		r := Evaluate(th, s)
		if line := r.String(); strings.ContainsAny(line, "\n\r") {
			t.Fatalf("result line %q spans lines", line)
		}
	})
}
