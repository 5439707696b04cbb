package fsemu

import (
	"reflect"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

func TestParseOriginate(t *testing.T) {
	r, ok := parseOriginate(`{a=b,c='x y',d=e\,f}[leg=1]sofia/external/1000@10.0.0.1:5080;fs_path=<sip:10.0.0.2> &playback(tone_stream://%(100,0,440)) XML ctx 'Caller Name' 555 30`)
	if !ok {
		t.Fatal("not parsed")
	}
	want := []wire.Header{{Name: "a", Value: "b"}, {Name: "c", Value: "x y"}, {Name: "d", Value: "e,f"}, {Name: "leg", Value: "1"}}
	if !reflect.DeepEqual(r.vars, want) {
		t.Fatalf("vars %v", r.vars)
	}
	if r.leg != "sofia/external/1000@10.0.0.1:5080;fs_path=<sip:10.0.0.2>" {
		t.Fatalf("leg %q", r.leg)
	}
	if r.app != "playback" || r.arg != "tone_stream://%(100,0,440)" || r.context != "ctx" ||
		r.cidName != "Caller Name" || r.cidNum != "555" || r.timeout != 30*time.Second {
		t.Fatalf("%+v", r)
	}
	r, _ = parseOriginate(`{originate_timeout=7}loopback/1000/default 1000`)
	if r.exten != "1000" || r.timeout != 7*time.Second || r.leg != "loopback/1000/default" {
		t.Fatalf("%+v", r)
	}
	if _, ok := parseOriginate("sofia/external/1000@h"); ok {
		t.Fatal("a single argument must be a usage error")
	}
	s := &Server{cfg: Config{Gateways: map[string]string{"gw": "10.0.0.9:5060"}}}
	tg, cause := s.parseSofia("external/1000@10.0.0.1;fs_path=<sip:proxy@10.0.0.2:5060;lr>")
	if cause != "" || tg.hostport != "10.0.0.1:5060" || tg.fsPath != "10.0.0.2:5060" || tg.user != "1000" {
		t.Fatalf("%+v %s", tg, cause)
	}
	tg, cause = s.parseSofia("gateway/gw/555")
	if cause != "" || tg.hostport != "10.0.0.9:5060" || tg.user != "555" {
		t.Fatalf("%+v %s", tg, cause)
	}
	if _, cause = s.parseSofia("nonexistent/1000"); cause != "INVALID_PROFILE" {
		t.Fatal(cause)
	}
}

func TestParseVarBlockSeparator(t *testing.T) {
	tests := []struct {
		in   string
		want []wire.Header
	}{
		{`a=b,c=d`, []wire.Header{{Name: "a", Value: "b"}, {Name: "c", Value: "d"}}},
		{`^^:a=1,2:c=d`, []wire.Header{{Name: "a", Value: "1,2"}, {Name: "c", Value: "d"}}},
		{`^^;x='p;q';y=z`, []wire.Header{{Name: "x", Value: "p;q"}, {Name: "y", Value: "z"}}},
		{`^^`, nil},
	}
	for _, tt := range tests {
		if got := parseVarBlock(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseVarBlock(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	r, ok := parseOriginate(`{^^:codecs=PCMU,PCMA:origination_caller_id_name='A B'}loopback/1000 &park()`)
	if !ok || varOf(r.vars, "codecs") != "PCMU,PCMA" || varOf(r.vars, "origination_caller_id_name") != "A B" {
		t.Fatalf("%+v", r)
	}
}
