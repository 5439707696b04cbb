package originate

import (
	"errors"
	"testing"
)

func TestForCallPerCallFields(t *testing.T) {
	base := Request{Profile: "external", Headers: []Var{{"X-a", "1"}}, Vars: []Var{{"v", "1"}}}
	per := []PerCall{
		Cycle(FieldDest, "1000@h", "1001@h"),
		Cycle(FieldCallerIDNumber, "111", "222", "333"),
		Cycle(FieldHeader("P-Asserted-Identity"), "<sip:1@x>"),
		Sequence(FieldVar("campaign_seq"), "c%03d", 7),
	}
	want := []string{
		"originate {origination_caller_id_number=111,sip_h_X-a=1,sip_h_P-Asserted-Identity=<sip:1@x>,v=1,campaign_seq=c007}sofia/external/1000@h &park()",
		"originate {origination_caller_id_number=222,sip_h_X-a=1,sip_h_P-Asserted-Identity=<sip:1@x>,v=1,campaign_seq=c008}sofia/external/1001@h &park()",
		"originate {origination_caller_id_number=333,sip_h_X-a=1,sip_h_P-Asserted-Identity=<sip:1@x>,v=1,campaign_seq=c009}sofia/external/1000@h &park()",
	}
	for n, w := range want {
		r := base.ForCall(uint64(n), per...)
		got, err := r.Command()
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("call %d:\ngot  %s\nwant %s", n, got, w)
		}
	}
	// The template is never modified by per-call appends.
	if len(base.Headers) != 1 || len(base.Vars) != 1 || base.Dest != "" {
		t.Fatalf("template changed: %+v", base)
	}
}

func TestForCallDoesNotShareSlices(t *testing.T) {
	hs := make([]Var, 1, 8) // spare capacity an append could write into
	hs[0] = Var{"X-a", "1"}
	base := Request{Dest: "a@b", Headers: hs}
	r1 := base.ForCall(0, Cycle(FieldHeader("X-n"), "one"))
	r2 := base.ForCall(1, Cycle(FieldHeader("X-n"), "one", "two"))
	if r1.Headers[1].Value != "one" || r2.Headers[1].Value != "two" {
		t.Fatalf("calls share header storage: %v %v", r1.Headers, r2.Headers)
	}
}

func TestParseField(t *testing.T) {
	for _, s := range []string{"dest", "endpoint", "gateway", "proxy", "caller_id_name", "cid_num", "codec", "header:X-y", "var:z"} {
		if _, err := ParseField(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"", "nope", "header:", "var:"} {
		if _, err := ParseField(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", s, err)
		}
	}
	f, _ := ParseField("header:X-y")
	var r Request
	f.Set(&r, "v")
	if len(r.Headers) != 1 || r.Headers[0] != (Var{"X-y", "v"}) {
		t.Fatalf("%+v", r.Headers)
	}
}
