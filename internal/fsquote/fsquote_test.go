package fsquote

import (
	"strings"
	"testing"
)

// cases are each context's values and how they are written.
var cases = map[Context][]struct{ in, want string }{
	Arg: {
		{"/tmp/a.wav", "/tmp/a.wav"},
		{"", "''"},
		{"tone_stream://%(100,0,440)", "tone_stream://%(100,0,440)"},
		{"my file.wav", "'my file.wav'"},
		{"it's", `'it\'s'`},
		{`c:\x`, `'c:\\x'`},
		{"a\tb", "'a\tb'"},
		{`{x=1}"q"`, `{x=1}"q"`}, // braces and double quotes are plain here
	},
	VarValue: {
		{"plain", "plain"},
		{"", ""},
		{"a b", "'a b'"},
		{"{x}", "'{x}'"},
		{`say "hi"`, `'say "hi"'`},
		{"it's", `'it\'s'`},
		{`a\b`, `'a\\b'`},
	},
}

// Every context has cases: a context added without tests fails here.
func TestEveryContextCovered(t *testing.T) {
	for _, c := range Contexts() {
		if len(cases[c]) == 0 {
			t.Errorf("context %v has no quoting cases", c)
		}
	}
}

func TestQuote(t *testing.T) {
	for c, cs := range cases {
		for _, tc := range cs {
			if got := Quote(c, tc.in); got != tc.want {
				t.Errorf("Quote(%v, %q) = %q, want %q", c, tc.in, got, tc.want)
			}
		}
	}
}

// unquote reads one value back as FreeSWITCH's splitter does: a run in
// single quotes with backslash escapes, or the plain text.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// What is written reads back as the value, and holds no character that
// would split it, in every context.
func FuzzQuote(f *testing.F) {
	for _, cs := range cases {
		for _, tc := range cs {
			f.Add(tc.in)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range Contexts() {
			q := Quote(c, s)
			if got := unquote(q); got != s && !(q == s) {
				t.Fatalf("%v: %q quoted %q reads back as %q", c, s, q, got)
			}
			if q == s && strings.ContainsAny(s, c.special()) {
				t.Fatalf("%v: %q left unquoted", c, s)
			}
		}
	})
}
