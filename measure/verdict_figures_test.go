package measure

import (
	"testing"
	"time"
)

func boolV(b bool) Value     { return Value{Bool: &b} }
func intV(n int64) Value     { return Value{Int: &n} }
func strV(s string) Value    { return Value{String: &s} }
func floatV(f float64) Value { return Value{Float: &f} }

// A media check failing is counted apart from the outcome: a completed
// call can fail it, and a call with no check verdict is not checked.
func TestAggregatorVerdicts(t *testing.T) {
	a := NewAggregator(time.Time{})
	a.SetVerdicts([]VerdictSpec{
		{Name: "dtmf_ok", Kind: KindBool, Check: true},
		{Name: "audio_ok", Kind: KindBool, Check: true},
		{Name: "dtmf_missing", Kind: KindInt},
		{Name: "tone_hz", Kind: KindFloat},
		{Name: "note", Kind: KindString},
		{Name: "recorded", Kind: KindBool}, // not a check
	})
	recs := []Record{
		{Outcome: "completed", App: "A", Verdicts: map[string]Value{"dtmf_ok": boolV(true), "dtmf_missing": intV(0), "recorded": boolV(false)}},
		{Outcome: "completed", App: "A", Verdicts: map[string]Value{"dtmf_ok": boolV(false), "dtmf_missing": intV(2), "note": strV("x")}},
		{Outcome: "dropped", App: "B", Verdicts: map[string]Value{"audio_ok": boolV(false), "dtmf_ok": boolV(false), "tone_hz": floatV(1004)}},
		{Outcome: "completed", App: "B", Verdicts: map[string]Value{"audio_ok": boolV(true), "tone_hz": floatV(998)}},
		{Outcome: "completed", App: "B"}, // no check
		{Outcome: "failed", App: "B", HangupCause: "USER_BUSY"},
	}
	for _, r := range recs {
		a.Add(r)
	}
	s := a.Summary()
	if s.MediaChecked != 4 || s.MediaFailed != 2 {
		t.Fatalf("media checked/failed = %d/%d, want 4/2", s.MediaChecked, s.MediaFailed)
	}
	if got := s.Ratios[MetricMediaFailRate]; got != 0.5 {
		t.Errorf("media_fail_rate = %v, want 0.5", got)
	}
	if v := s.Verdicts["dtmf_ok"]; v.Count != 3 || v.True != 1 || v.False != 2 {
		t.Errorf("dtmf_ok = %+v", v)
	}
	if v := s.Verdicts["dtmf_missing"]; v.Count != 2 || v.Sum != 2 || v.Min != 0 || v.Max != 2 || v.Mean != 1 || v.Nonzero != 1 {
		t.Errorf("dtmf_missing = %+v", v)
	}
	if v := s.Verdicts["tone_hz"]; v.Min != 998 || v.Max != 1004 || v.Mean != 1001 {
		t.Errorf("tone_hz = %+v", v)
	}
	if v := s.Verdicts["note"]; v.Count != 1 || v.Values["x"] != 1 {
		t.Errorf("note = %+v", v)
	}
	if a, b := s.PerApp["A"], s.PerApp["B"]; a.MediaFailed != 1 || b.MediaFailed != 1 || b.MediaChecked != 2 {
		t.Errorf("per app: A %d/%d, B %d/%d", a.MediaFailed, a.MediaChecked, b.MediaFailed, b.MediaChecked)
	}
	if _, ok := s.PerApp["B"].Verdicts["dtmf_missing"]; ok {
		t.Error("B has no dtmf_missing verdict, got one")
	}
}

// A text verdict's values are counted up to MaxVerdictValues; the rest
// fall under OtherValue.
func TestVerdictValuesBounded(t *testing.T) {
	a := NewAggregator(time.Time{})
	for i := range MaxVerdictValues + 10 {
		a.Add(Record{Outcome: "completed", Verdicts: map[string]Value{"f": strV(string(rune('a' + i)))}})
	}
	v := a.Summary().Verdicts["f"]
	if len(v.Values) != MaxVerdictValues+1 || v.Values[OtherValue] != 10 || v.Count != MaxVerdictValues+10 {
		t.Fatalf("%+v", v)
	}
}
