package threshold

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Aggregation picks one figure of a latency's distribution.
type Aggregation string

// The aggregations of latencies: the percentiles the summary reports, and
// the maximum.
const (
	P50  Aggregation = "p50"
	P90  Aggregation = "p90"
	P99  Aggregation = "p99"
	P999 Aggregation = "p99.9"
	Max  Aggregation = "max"
)

var aggregations = []Aggregation{P50, P90, P99, P999, Max}

// Op compares a figure (left) with a threshold's value (right).
type Op string

// The comparison operators.
const (
	Less         Op = "<"
	LessEqual    Op = "<="
	Greater      Op = ">"
	GreaterEqual Op = ">="
	Equal        Op = "=="
	NotEqual     Op = "!="
)

// holds reports whether "got op want" is true.
func (o Op) holds(got, want float64) bool {
	switch o {
	case Less:
		return got < want
	case LessEqual:
		return got <= want
	case Greater:
		return got > want
	case GreaterEqual:
		return got >= want
	case Equal:
		return got == want
	case NotEqual:
		return got != want
	}
	return false
}

// Threshold is one parsed pass/fail criterion. Parse makes it; its
// fields say what it checks, for callers that show or store thresholds.
type Threshold struct {
	// Aggregation is set for latencies and empty for counts and ratios.
	Aggregation Aggregation
	// Metric is a name of measure.Catalogue.
	Metric string
	// Server or App (at most one) narrow the figures to one server's or
	// one app's calls; Cause (failed only) to one hang-up cause;
	// Verdict (media_failed only) to the calls failing that one check.
	Server, App, Cause, Verdict string
	// Op compares the figure with Value.
	Op Op
	// Value is the bound in the metric's catalogue unit (ms or s for
	// durations, 0..1 for ratios, calls for counts).
	Value float64
	// Literal and Unit are the bound as written ("ms", "s", "m", "%" or
	// ""), kept so that String gives it back as the user wrote it.
	Literal float64
	Unit    string
}

// String returns the threshold's canonical form: no spaces, selector keys
// in the order server, app, cause, verdict, the value as written. Parse of it gives
// the same Threshold.
func (t Threshold) String() string {
	var b strings.Builder
	if t.Aggregation != "" {
		b.WriteString(string(t.Aggregation))
		b.WriteByte('(')
		b.WriteString(t.Metric)
		b.WriteByte(')')
	} else {
		b.WriteString(t.Metric)
	}
	var sel []string
	for _, kv := range [...][2]string{{keyServer, t.Server}, {keyApp, t.App}, {keyCause, t.Cause}, {keyVerdict, t.Verdict}} {
		if kv[1] != "" {
			sel = append(sel, kv[0]+"="+quoteText(kv[1]))
		}
	}
	if len(sel) > 0 {
		b.WriteByte('{')
		b.WriteString(strings.Join(sel, ","))
		b.WriteByte('}')
	}
	b.WriteString(string(t.Op))
	b.WriteString(formatNumber(t.Literal))
	b.WriteString(t.Unit)
	return b.String()
}

// MarshalText returns the canonical form, so that a Threshold reads as
// its expression in JSON (summary.json, reports).
func (t Threshold) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses an expression (see Parse).
func (t *Threshold) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// formatNumber writes a bound in plain decimal notation, which the
// grammar reads back to the same float64.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// quoteText quotes a selector value when the bare form would not read
// back as the same text.
func quoteText(s string) string {
	if s == "" || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !bareTextRune(r) }) {
		return strconv.Quote(s)
	}
	return s
}

// bareTextRune tells whether r may appear in an unquoted selector value.
func bareTextRune(r rune) bool {
	switch r {
	case ',', '{', '}', '"':
		return false
	}
	return unicode.IsPrint(r) && !unicode.IsSpace(r)
}
