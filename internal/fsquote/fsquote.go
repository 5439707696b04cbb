// Package fsquote quotes values for the two places switchio writes them
// into FreeSWITCH command text, each with its own set of characters that
// need quoting:
//
//   - Arg: an api command's argument (uuid_broadcast's path, a
//     uuid_record's file ...), split by FreeSWITCH on blanks
//     (switch_separate_string in switch_utils.c, which groups a single-
//     quoted run and takes a backslash as an escape inside it).
//   - VarValue: the value of a channel variable in an originate's {...}
//     block (switch_ivr_originate.c, switch_event_create_brackets), where
//     ',' is escaped by the caller's own rule but '{', '}' and '"' also end
//     or open a block, so they are quoted too.
//
// Both quote the same way ('...' with ' and \ escaped by a backslash);
// only what sets quoting off differs. One place states both, and the
// package's tests cover each context (every Context has cases).
package fsquote

import "strings"

// Context is where a quoted value goes.
type Context int

// The contexts switchio writes values into.
const (
	Arg Context = iota
	VarValue
	numContexts
)

// Contexts returns every context, for tests that cover each.
func Contexts() []Context {
	out := make([]Context, numContexts)
	for i := range out {
		out[i] = Context(i)
	}
	return out
}

// String names the context.
func (c Context) String() string {
	switch c {
	case Arg:
		return "api argument"
	case VarValue:
		return "originate variable value"
	}
	return "unknown context"
}

// special returns the characters that make a value need quotes in c.
func (c Context) special() string {
	if c == VarValue {
		return " \t'\"{}\\"
	}
	return " \t'\\"
}

// Quote returns s as written in context c: unchanged when it holds none
// of the context's special characters (and, for an Arg, is not empty),
// else in single quotes with ' and \ escaped by a backslash.
func Quote(c Context, s string) string {
	if !strings.ContainsAny(s, c.special()) && (s != "" || c != Arg) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}
