package measure

import (
	"fmt"
	"strconv"
)

// Apps leave their per-call results ("verdicts": DTMF received in order,
// bit errors, a recording's length ...) on the call, and the CDR writes
// them as typed columns of the call's record. An app declares its columns
// by implementing Verdicter; a run's CDR is configured with the
// declarations of its apps (CDRConfig.Verdicts).
//
// A verdict may need work after the call ends (analysing a recording):
// the app marks it pending with PendVerdict while the call is up, and the
// CDR holds the call's record until every pending verdict is set or
// CDRConfig.VerdictWait passes (then the verdict is null).

// Verdicter is implemented by apps that add verdict columns to the
// records of their calls.
type Verdicter interface {
	Verdicts() []VerdictSpec
}

// CallVars is where a call's verdicts travel: its call-scoped variables.
// *cluster.Call implements it; keeping the verdicts behind it keeps this
// package free of the cluster (a run's data reads without a server).
type CallVars interface {
	Var(name string) string
	SetVar(name, value string)
}

// Call variable prefixes the verdicts travel in (CallVars.SetVar).
const (
	verdictVar = "switchio.verdict."
	pendingVar = "switchio.verdict_pending."
)

// SetVerdict records a verdict for the call: v is a bool, an integer, a
// float or a string, as its VerdictSpec declares.
func SetVerdict(c CallVars, name string, v any) error {
	var s string
	switch x := v.(type) {
	case bool:
		s = strconv.FormatBool(x)
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		s = x
	default:
		return fmt.Errorf("measure: verdict %s: unsupported type %T", name, v)
	}
	// "=" marks the verdict set, so an empty string is a value.
	c.SetVar(verdictVar+name, "="+s)
	c.SetVar(pendingVar+name, "")
	return nil
}

// PendVerdict tells the CDR that the verdict name of the call is still
// being computed: its record waits for it (at most VerdictWait).
func PendVerdict(c CallVars, name string) { c.SetVar(pendingVar+name, "1") }

// DropVerdict ends a pending verdict with no value (null): a check that
// could not be made.
func DropVerdict(c CallVars, name string) {
	c.SetVar(verdictVar+name, "")
	c.SetVar(pendingVar+name, "")
}

// VerdictUnchecked is the verdict column that says why a call's media
// check could not be made (SkipCheck). An app whose checks can be skipped
// declares it with UncheckedSpec.
const VerdictUnchecked = "media_unchecked"

// UncheckedSpec declares the VerdictUnchecked column.
func UncheckedSpec() VerdictSpec {
	return VerdictSpec{Name: VerdictUnchecked, Kind: KindString,
		Doc: "why the call's media check could not be made (its check verdicts are null): not a media failure"}
}

// SkipCheck records that the call's media check could not be made, and
// why (a short phrase, e.g. "recordings not readable"): the call counts
// as media_unchecked, neither checked nor failed. The app leaves its
// check verdicts null (DropVerdict).
func SkipCheck(c CallVars, reason string) {
	_ = SetVerdict(c, VerdictUnchecked, reason)
}

// ReadVerdicts returns the verdicts of a call set so far, among specs,
// and whether any of them is still pending: what the call's record will
// hold.
func ReadVerdicts(c CallVars, specs []VerdictSpec) (map[string]Value, bool) {
	if c == nil || len(specs) == 0 {
		return nil, false
	}
	var out map[string]Value
	pending := false
	for _, sp := range specs {
		raw := c.Var(verdictVar + sp.Name)
		if raw == "" {
			pending = pending || c.Var(pendingVar+sp.Name) != ""
			continue
		}
		v, ok := parseValue(sp.Kind, raw[1:])
		if !ok {
			continue
		}
		if out == nil {
			out = map[string]Value{}
		}
		out[sp.Name] = v
	}
	return out, pending
}

func parseValue(k Kind, s string) (Value, bool) {
	switch k {
	case KindBool:
		b, err := strconv.ParseBool(s)
		return Value{Bool: &b}, err == nil
	case KindInt:
		n, err := strconv.ParseInt(s, 10, 64)
		return Value{Int: &n}, err == nil
	case KindFloat:
		f, err := strconv.ParseFloat(s, 64)
		return Value{Float: &f}, err == nil
	case KindString:
		return Value{String: &s}, true
	}
	return Value{}, false
}
