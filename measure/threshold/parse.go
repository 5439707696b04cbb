package threshold

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchio/switchio/measure"
)

// ParseError is a malformed threshold: what is wrong, and where.
type ParseError struct {
	// Expr is the expression as given.
	Expr string
	// Column is where the fault is, in characters from 1 (one past the
	// last character when the expression ends too early).
	Column int
	// Msg says what is wrong, on one line.
	Msg string
	// Near lists the catalogue's names close to an unknown metric name,
	// closest first (empty for other faults).
	Near []string
}

// Error returns one line: the expression, the column and the fault.
func (e *ParseError) Error() string {
	return fmt.Sprintf("threshold %q: column %d: %s", e.Expr, e.Column, e.Msg)
}

// kind is how a metric's figure is found in the summary and what values
// it takes.
type kind int

const (
	kindCount   kind = iota + 1 // a Figures counter; a plain number
	kindRatio                   // Figures.Ratios, 0..1; a number or a percentage
	kindMean                    // Figures.Ratios, a duration in the catalogue unit (acd)
	kindRate                    // Figures.Ratios, calls per second; a plain number
	kindLatency                 // Figures.Latencies; needs an aggregation
	kindSeries                  // a time series: no figure in the summary
)

// counts reads the catalogue's counts from Figures.
var counts = map[string]func(measure.Figures) uint64{
	measure.MetricOffered:        func(f measure.Figures) uint64 { return f.Offered },
	measure.MetricAnswered:       func(f measure.Figures) uint64 { return f.Answered },
	measure.MetricFailed:         func(f measure.Figures) uint64 { return f.Failed },
	measure.MetricCompleted:      func(f measure.Figures) uint64 { return f.Completed },
	measure.MetricDropped:        func(f measure.Figures) uint64 { return f.Dropped },
	measure.MetricAbandoned:      func(f measure.Figures) uint64 { return f.Abandoned },
	measure.MetricMediaChecked:   func(f measure.Figures) uint64 { return f.MediaChecked },
	measure.MetricMediaFailed:    func(f measure.Figures) uint64 { return f.MediaFailed },
	measure.MetricMediaUnchecked: func(f measure.Figures) uint64 { return f.MediaUnchecked },
}

// inRatios are the names Figures.Ratios holds (ratios, and acd's mean).
var inRatios = map[string]bool{
	measure.MetricASR: true, measure.MetricNER: true, measure.MetricDropRate: true,
	measure.MetricSeizureFailRate: true, measure.MetricAnswerSeizure: true, measure.MetricACD: true,
	measure.MetricAvgCallRate: true, measure.MetricMediaFailRate: true,
}

// kindOf classifies a catalogue metric.
func kindOf(m measure.Metric) kind {
	switch {
	case m.Latency:
		return kindLatency
	case counts[m.Name] != nil:
		return kindCount
	case inRatios[m.Name] && m.Unit == "ratio":
		return kindRatio
	case inRatios[m.Name] && m.Unit == "calls/s":
		return kindRate
	case inRatios[m.Name]:
		return kindMean
	}
	return kindSeries
}

// Selector keys.
const (
	keyServer  = "server"
	keyApp     = "app"
	keyCause   = "cause"
	keyVerdict = "verdict"
)

// Parse reads one threshold expression (see the package documentation for
// the grammar). A malformed one gives a *ParseError.
func Parse(expr string) (Threshold, error) {
	p := &parser{src: expr}
	t, err := p.threshold()
	if err != nil {
		return Threshold{}, err
	}
	return t, nil
}

// parser reads one expression; pos is a byte offset into src.
type parser struct {
	src string
	pos int
}

// fail returns a ParseError at byte offset pos.
func (p *parser) fail(pos int, format string, args ...any) *ParseError {
	return &ParseError{Expr: p.src, Column: utf8.RuneCountInString(p.src[:pos]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// found describes what is at pos, for "expected X, found Y" messages.
func (p *parser) found() string {
	if p.pos >= len(p.src) {
		return "the end"
	}
	r, n := utf8.DecodeRuneInString(p.src[p.pos:])
	if r == utf8.RuneError && n == 1 {
		return fmt.Sprintf("byte %#x", p.src[p.pos])
	}
	return strconv.Quote(string(r))
}

// run consumes the longest run of bytes that ok accepts.
func (p *parser) run(ok func(byte) bool) string {
	start := p.pos
	for p.pos < len(p.src) && ok(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isUnit(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '%' }

func (p *parser) peek(c byte) bool { return p.pos < len(p.src) && p.src[p.pos] == c }

func (p *parser) threshold() (Threshold, error) {
	var t Threshold
	p.skipSpace()
	if p.pos == len(p.src) {
		return t, p.fail(p.pos, "empty threshold: expected a metric, as in asr>=0.99 or p99(call_setup_latency)<200ms")
	}
	identAt := p.pos
	ident := p.run(isIdent)
	if ident == "" {
		return t, p.fail(p.pos, "expected a metric name or an aggregation, found %s", p.found())
	}
	p.skipSpace()
	aggAt, nameAt, name := -1, identAt, ident
	if p.peek('(') {
		aggAt = identAt
		if !isAggregation(ident) {
			return t, p.fail(identAt, "unknown aggregation %q (use p50, p90, p99, p99.9 or max)", ident)
		}
		t.Aggregation = Aggregation(ident)
		p.pos++
		p.skipSpace()
		nameAt = p.pos
		if name = p.run(isIdent); name == "" {
			return t, p.fail(p.pos, "expected a metric name, found %s", p.found())
		}
		p.skipSpace()
		if !p.peek(')') {
			return t, p.fail(p.pos, "expected \")\" after %s, found %s", name, p.found())
		}
		p.pos++
	}
	if canon, old := measure.Canonical(name); old {
		// a deprecated name (docs/metrics.md), read as its figure
		name = canon
	}
	m, ok := measure.Lookup(name)
	if !ok {
		e := p.fail(nameAt, "unknown metric %q", name)
		e.Near = nearNames(name)
		if len(e.Near) > 0 {
			e.Msg += " (did you mean " + orList(e.Near) + "?)"
		} else {
			e.Msg += " (the names are in docs/metrics.md)"
		}
		return t, e
	}
	t.Metric = name
	k := kindOf(m)
	switch {
	case k == kindSeries:
		return t, p.fail(nameAt, "%s is a time series, which has no figure in the summary for a threshold", name)
	case aggAt >= 0 && k != kindLatency:
		return t, p.fail(aggAt, "%s applies to latencies, and %s is %s", t.Aggregation, name, kindNoun(k))
	case aggAt < 0 && k == kindLatency:
		return t, p.fail(nameAt, "%s is a latency: give an aggregation, as in p99(%s)", name, name)
	}
	p.skipSpace()
	if p.peek('{') {
		if err := p.selector(&t); err != nil {
			return t, err
		}
		p.skipSpace()
	}
	op, err := p.operator()
	if err != nil {
		return t, err
	}
	t.Op = op
	p.skipSpace()
	if err := p.value(&t, m, k); err != nil {
		return t, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		e := p.fail(p.pos, "unexpected %s after the value", p.found())
		switch u := p.run(isUnit); u {
		case "ms", "s", "m", "%":
			e.Msg += fmt.Sprintf(" (write the unit next to the number: %s%s)", formatNumber(t.Literal), u)
		}
		return t, e
	}
	return t, nil
}

func isAggregation(s string) bool {
	for _, a := range aggregations {
		if string(a) == s {
			return true
		}
	}
	return false
}

// kindNoun names a kind of metric in messages.
func kindNoun(k kind) string {
	switch k {
	case kindCount:
		return "a count"
	case kindRatio:
		return "a ratio"
	case kindMean:
		return "a mean"
	case kindRate:
		return "a rate"
	case kindLatency:
		return "a latency"
	}
	return "a time series"
}

// selector reads {key=value,...} into t.
func (p *parser) selector(t *Threshold) error {
	p.pos++ // {
	seen := map[string]bool{}
	for {
		p.skipSpace()
		keyAt := p.pos
		key := p.run(isIdent)
		if key == "" {
			return p.fail(p.pos, "expected server, app, cause or verdict in the selector, found %s", p.found())
		}
		switch {
		case key != keyServer && key != keyApp && key != keyCause && key != keyVerdict:
			return p.fail(keyAt, "unknown selector %q (use server, app, cause or verdict)", key)
		case seen[key]:
			return p.fail(keyAt, "%s is selected twice", key)
		case key == keyCause && t.Metric != measure.MetricFailed:
			return p.fail(keyAt, "cause applies to failed only, not to %s", t.Metric)
		case key == keyVerdict && t.Metric != measure.MetricMediaFailed:
			return p.fail(keyAt, "verdict applies to media_failed only, not to %s", t.Metric)
		case key == keyServer && seen[keyApp] || key == keyApp && seen[keyServer]:
			return p.fail(keyAt, "server and app do not combine (the summary has no figures per server and app)")
		}
		seen[key] = true
		p.skipSpace()
		if !p.peek('=') {
			return p.fail(p.pos, "expected \"=\" after %s, found %s", key, p.found())
		}
		p.pos++
		p.skipSpace()
		text, err := p.text(key)
		if err != nil {
			return err
		}
		switch key {
		case keyServer:
			t.Server = text
		case keyApp:
			t.App = text
		case keyCause:
			t.Cause = text
		case keyVerdict:
			t.Verdict = text
		}
		p.skipSpace()
		switch {
		case p.peek(','):
			p.pos++
		case p.peek('}'):
			p.pos++
			return nil
		default:
			return p.fail(p.pos, "expected \",\" or \"}\" in the selector, found %s", p.found())
		}
	}
}

// text reads a selector value: bare or a Go quoted string.
func (p *parser) text(key string) (string, error) {
	at := p.pos
	if p.peek('"') {
		q, err := strconv.QuotedPrefix(p.src[p.pos:])
		if err != nil {
			return "", p.fail(at, "unterminated or malformed quoted value for %s", key)
		}
		s, _ := strconv.Unquote(q) // QuotedPrefix checked it
		p.pos += len(q)
		if s == "" {
			return "", p.fail(at, "empty value for %s", key)
		}
		return s, nil
	}
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if r == utf8.RuneError && n == 1 || !bareTextRune(r) {
			break
		}
		p.pos += n
	}
	if p.pos == at {
		return "", p.fail(p.pos, "expected a value for %s, found %s", key, p.found())
	}
	return p.src[at:p.pos], nil
}

// operator reads a comparison operator.
func (p *parser) operator() (Op, error) {
	rest := p.src[p.pos:]
	for _, op := range [...]Op{LessEqual, GreaterEqual, Equal, NotEqual, Less, Greater} {
		if strings.HasPrefix(rest, string(op)) {
			p.pos += len(op)
			return op, nil
		}
	}
	e := p.fail(p.pos, "expected an operator (<, <=, >, >=, ==, !=), found %s", p.found())
	if strings.HasPrefix(rest, "=") {
		e.Msg += " (did you mean ==?)"
	}
	return "", e
}

// value reads the bound and its unit into t, checking them against the
// metric.
func (p *parser) value(t *Threshold, m measure.Metric, k kind) error {
	numAt := p.pos
	num := p.run(isDigit)
	if num == "" {
		return p.fail(p.pos, "expected a number, found %s", p.found())
	}
	if p.peek('.') {
		p.pos++
		frac := p.run(isDigit)
		if frac == "" {
			return p.fail(p.pos, "expected a digit after the decimal point, found %s", p.found())
		}
		num += "." + frac
	}
	lit, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return p.fail(numAt, "number %s is out of range", num)
	}
	unitAt := p.pos
	unit := p.run(isUnit)
	switch k {
	case kindLatency, kindMean:
		switch unit {
		case "", "ms", "s", "m":
		case "%":
			return p.fail(unitAt, "a percentage does not apply to %s, a duration (use ms, s or m)", m.Name)
		default:
			return p.fail(unitAt, "unknown unit %q (use ms, s or m)", unit)
		}
	case kindRatio:
		switch unit {
		case "":
			if lit > 1 {
				return p.fail(numAt, "%s is a ratio from 0 to 1 (did you mean %s%%?)", m.Name, formatNumber(lit))
			}
		case "%":
			if lit > 100 {
				return p.fail(numAt, "%s is a ratio: %s%% is above 100%%", m.Name, formatNumber(lit))
			}
		case "ms", "s", "m":
			return p.fail(unitAt, "%s is a ratio: a duration does not apply (write 0.99 or 99%%)", m.Name)
		default:
			return p.fail(unitAt, "unknown unit %q (%s takes a plain number or a percentage)", unit, m.Name)
		}
	case kindCount:
		if unit != "" {
			return p.fail(unitAt, "%s is a count of calls: give a plain number, without %q", m.Name, unit)
		}
	case kindRate:
		if unit != "" {
			return p.fail(unitAt, "%s is in calls per second: give a plain number, without %q", m.Name, unit)
		}
	}
	v, ok := scale(lit, unit, m.Unit)
	if !ok {
		return p.fail(numAt, "%s%s is out of range", num, unit)
	}
	t.Literal, t.Unit, t.Value = lit, unit, v
	return nil
}

// scale converts a bound written in unit to the catalogue unit to. It
// works from the bound's canonical text, so that String and Parse agree
// to the last bit.
func scale(lit float64, unit, to string) (float64, bool) {
	s := formatNumber(lit)
	pow := func(exp string) float64 {
		f, _ := strconv.ParseFloat(s+exp, 64)
		return f
	}
	v := lit
	switch {
	case unit == "%":
		v = pow("e-2")
	case to == "ms" && unit == "s":
		v = pow("e3")
	case to == "ms" && unit == "m":
		v = pow("e3") * 60
	case to == "s" && unit == "ms":
		v = pow("e-3")
	case to == "s" && unit == "m":
		v = lit * 60
	}
	return v, !math.IsInf(v, 0)
}

// nearNames returns up to three catalogue names close to name (within a
// small edit distance, or containing it), leaving out those much farther
// than the closest.
func nearNames(name string) []string {
	name = strings.ToLower(name)
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, m := range measure.Catalogue() {
		d := editDistance(name, m.Name)
		switch {
		case d <= max(1, len(m.Name)/3):
		case len(name) >= 3 && strings.Contains(m.Name, name):
			d = len(m.Name) - len(name)
		default:
			continue
		}
		cs = append(cs, cand{m.Name, d})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < 3 && cs[i].d <= 2*cs[0].d+1; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// orList writes "a", "a or b", "a, b or c".
func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
