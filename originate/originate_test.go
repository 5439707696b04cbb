package originate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCommand(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"minimal", Request{Dest: "1000@127.0.0.1:5080"}, "originate sofia/external/1000@127.0.0.1:5080 &park()"},
		{"gateway", Request{Gateway: "gw1", Dest: "5551234"}, "originate sofia/gateway/gw1/5551234 &park()"},
		{"proxy", Request{Profile: "internal", Dest: "1000@10.0.0.1", Proxy: "10.0.0.2:5060"},
			"originate sofia/internal/1000@10.0.0.1;fs_path=sip:10.0.0.2:5060 &park()"},
		{"vars in order", Request{Dest: "a@b", UUID: "u1", CallerIDName: "Load Test", CallerIDNumber: "100",
			Codec: "PCMU", Timeout: 30 * time.Second, Headers: []Var{{"X-switchio_app", "tone"}, {"P-Asserted-Identity", "<sip:1@x>"}},
			Vars: []Var{{"execute_on_answer", "sched_hangup +5 NORMAL_CLEARING"}}},
			"originate {origination_uuid=u1,origination_caller_id_name='Load Test',origination_caller_id_number=100,absolute_codec_string=PCMU,originate_timeout=30,sip_h_X-switchio_app=tone,sip_h_P-Asserted-Identity=<sip:1@x>,execute_on_answer='sched_hangup +5 NORMAL_CLEARING'}sofia/external/a@b &park()"},
		{"comma switches separator", Request{Dest: "a@b", Codec: "PCMU,PCMA", Vars: []Var{{"x", "y"}}},
			"originate {^^;absolute_codec_string=PCMU,PCMA;x=y}sofia/external/a@b &park()"},
		{"quotes and braces quoted", Request{Dest: "a@b", Vars: []Var{{"v", "it's {x}"}}},
			`originate {v='it\'s {x}'}sofia/external/a@b &park()`},
		{"exten", Request{Endpoint: "loopback/1000", Exten: "1000", Context: "default"}, "originate loopback/1000 1000 XML default"},
		{"app", Request{Dest: "a@b", App: "echo"}, "originate sofia/external/a@b &echo()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.Command()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCommandRejectsUnsafe(t *testing.T) {
	bad := []Request{
		{},
		{Dest: "a b@c"},
		{Dest: "a@b", Vars: []Var{{"x", "line\nbreak"}}},
		{Dest: "a@b", Vars: []Var{{"bad name", "v"}}},
		{Dest: "a@b", App: "park", AppArg: "x)y"},
		{Dest: "a@b", Proxy: "p}q"},
		{Dest: "a@b", Vars: []Var{{"v", ",;|!#:~"}}},
		// ',' and '|' split a dial string into several targets
		{Dest: "1000@host,2000@other"},
		{Dest: "1000@host|2000@other"},
		{Gateway: "gw1,gw2", Dest: "5551234"},
		{Dest: "a@b", Proxy: "p1|p2"},
		{Profile: "a,b", Dest: "a@b"},
		// found by fsemu's FuzzOriginateRequest: each would not parse back
		{Endpoint: "loopback/1000", Exten: "&park()"},   // an application, not an extension
		{Dest: "a@b", App: "pa(rk"},                     // the argument would start early
		{Dest: "a@b", Exten: `10\00`},                   // backslash escapes
		{Dest: "a@b", AppArg: `x\`},                     // backslash escapes
		{Dest: "a<b@c"},                                 // an unclosed '<' joins the next arguments
		{Endpoint: "loopback/[1000"},                    // an unclosed '[' likewise
		{Dest: "a@b", Vars: []Var{{"\vname", "v"}}},     // a blank FreeSWITCH trims
		{Dest: "a@b", Vars: []Var{{"^^;x", "v"}}},       // would change the separator
		{Dest: "a@b", Headers: []Var{{"X-A;B", "v"}}},   // a separator in a name
		{Dest: "a@b", Vars: []Var{{`back\slash`, "v"}}}, // an escape in a name
	}
	for i, r := range bad {
		if _, err := r.Command(); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: got %v, want ErrInvalid", i, err)
		}
	}
}

func TestSeparatorAvoidsValues(t *testing.T) {
	s, err := VarBlock([]Var{{"a", "1,2;3"}, {"b", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "{^^|") || !strings.Contains(s, "a=1,2;3|b=x") {
		t.Errorf("got %s", s)
	}
}
