package threshold

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/switchio/switchio/measure"
)

// Result is a threshold checked against a run's figures.
type Result struct {
	Threshold Threshold `json:"threshold"`
	// Value is the figure compared, in the metric's catalogue unit (0
	// when Missing).
	Value float64 `json:"value"`
	// Missing is true when the figure does not exist: a latency without
	// samples, a ratio whose denominator is zero, a server or app the
	// summary does not know. A missing figure fails its threshold.
	Missing bool `json:"missing"`
	// Pass is true when the figure exists and the comparison holds.
	Pass bool `json:"pass"`
}

// Evaluate checks t against s (the figures after the warm-up). See the
// package documentation for when a figure is missing: it then fails.
func Evaluate(t Threshold, s measure.MetricsSummary) Result {
	r := Result{Threshold: t}
	v, ok := figure(t, s)
	if !ok {
		r.Missing = true
		return r
	}
	r.Value = v
	r.Pass = t.Op.holds(v, t.Value)
	return r
}

// figure finds t's figure in s, in the catalogue unit.
func figure(t Threshold, s measure.MetricsSummary) (float64, bool) {
	f := s.Figures
	switch {
	case t.Server != "":
		var ok bool
		if f, ok = s.PerServer[t.Server]; !ok {
			return 0, false
		}
	case t.App != "":
		var ok bool
		if f, ok = s.PerApp[t.App]; !ok {
			return 0, false
		}
	}
	m, ok := measure.Lookup(t.Metric)
	if !ok {
		return 0, false
	}
	switch kindOf(m) {
	case kindCount:
		if t.Cause != "" {
			return float64(f.FailedByCause[t.Cause]), true
		}
		if t.Verdict != "" {
			v, ok := f.Verdicts[t.Verdict]
			return float64(v.False), ok
		}
		return float64(counts[t.Metric](f)), true
	case kindRatio, kindMean, kindRate:
		v, ok := f.Ratios[t.Metric]
		return v, ok
	case kindLatency:
		p, ok := f.Latencies[t.Metric]
		if !ok || p.Count == 0 {
			return 0, false
		}
		switch t.Aggregation {
		case P50:
			return p.P50, true
		case P90:
			return p.P90, true
		case P99:
			return p.P99, true
		case P999:
			return p.P999, true
		case Max:
			return p.Max, true
		}
	}
	return 0, false
}

// String renders the result on one line for the run's summary: a tick or
// a cross, the threshold, and the figure in the threshold's unit:
//
//	✓ p99(call_setup_latency)<200ms  (143.2 ms)
//	✗ asr>=0.99  (0.962)
//	✗ p50(pdd)<=3s  (no data)
func (r Result) String() string {
	mark := "✗"
	if r.Pass {
		mark = "✓"
	}
	return mark + " " + r.Threshold.String() + "  (" + r.figureText() + ")"
}

// figureText shows the figure in the unit the threshold was written in
// (the catalogue unit for a bare number), rounded for reading.
func (r Result) figureText() string {
	if r.Missing {
		return "no data"
	}
	t := r.Threshold
	m, _ := measure.Lookup(t.Metric)
	v := r.Value
	switch kindOf(m) {
	case kindCount:
		return round(v, 0)
	case kindRate:
		return round(v, 2) + " calls/s"
	case kindRatio:
		if t.Unit == "%" {
			return round(v*100, 2) + "%"
		}
		return round(v, 4)
	}
	unit := t.Unit
	if unit == "" {
		unit = m.Unit
	}
	v = v * msPer[m.Unit] / msPer[unit]
	return round(v, map[string]int{"ms": 1, "s": 3, "m": 2}[unit]) + " " + unit
}

// msPer is the milliseconds in one of each duration unit.
var msPer = map[string]float64{"ms": 1, "s": 1000, "m": 60000}

// round formats f with at most decimals decimals, dropping trailing zeros.
func round(f float64, decimals int) string {
	p := math.Pow10(decimals)
	if r := math.Round(f*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
		f = r
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Results are the checks of a run's thresholds, in the order given.
type Results []Result

// Passed is true when every threshold passed (and when there are none).
func (rs Results) Passed() bool {
	for _, r := range rs {
		if !r.Pass {
			return false
		}
	}
	return true
}

// Failed returns the results that did not pass.
func (rs Results) Failed() Results {
	var out Results
	for _, r := range rs {
		if !r.Pass {
			out = append(out, r)
		}
	}
	return out
}

// String renders one line per threshold (see Result.String), each ending
// in a newline.
func (rs Results) String() string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// List is a run's thresholds. *List is a flag value (the standard
// library's flag.Value and pflag's Value): each use of the flag parses
// one more threshold, so --threshold repeats.
type List []Threshold

// Set parses expr and appends it.
func (l *List) Set(expr string) error {
	t, err := Parse(expr)
	if err != nil {
		return err
	}
	*l = append(*l, t)
	return nil
}

// String returns the thresholds' canonical forms, separated by spaces.
func (l *List) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, t := range *l {
		s[i] = t.String()
	}
	return strings.Join(s, " ")
}

// Type names the flag's value in help text.
func (l *List) Type() string { return "expr" }

// ParseList parses several expressions; its error joins one *ParseError
// per malformed expression (one line each).
func ParseList(exprs []string) (List, error) {
	var l List
	var errs []error
	for _, e := range exprs {
		if err := l.Set(e); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return l, nil
}

// Evaluate checks every threshold against s. A nil s (a run no CDR
// measured) has no figures: every threshold is then missing, and fails.
func (l List) Evaluate(s *measure.MetricsSummary) Results {
	rs := make(Results, len(l))
	for i, t := range l {
		if s == nil {
			rs[i] = Result{Threshold: t, Missing: true}
			continue
		}
		rs[i] = Evaluate(t, *s)
	}
	return rs
}
