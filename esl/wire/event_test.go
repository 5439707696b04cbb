package wire

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// captureEvents returns the events of one capture with their Content-Type.
func captureEvents(t *testing.T, name string) []*Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", name))
	if err != nil {
		t.Fatal(err)
	}
	var evs []*Event
	rd := NewReader(strings.NewReader(string(data)))
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			break
		}
		if !m.IsEvent() {
			continue
		}
		ev, err := ParseEvent(m.ContentType(), m.Body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func findEvent(t *testing.T, evs []*Event, name string) *Event {
	t.Helper()
	for _, e := range evs {
		if e.Name() == name {
			return e
		}
	}
	t.Fatalf("no %s event", name)
	return nil
}

func TestBackgroundJobAllFormats(t *testing.T) {
	evs := captureEvents(t, "05_bgapi.rx.txt")
	var jobs []*Event
	for _, e := range evs {
		if e.Name() == "BACKGROUND_JOB" {
			jobs = append(jobs, e)
		}
	}
	if len(jobs) < 5 {
		t.Fatalf("%d BACKGROUND_JOB events, want plain, json and xml ones", len(jobs))
	}
	for i, e := range jobs {
		if e.Body == "" || e.JobUUID() == "" || e.Get("Job-Command") == "" {
			t.Errorf("job %d: body %q, Job-UUID %q, Job-Command %q", i, e.Body, e.JobUUID(), e.Get("Job-Command"))
		}
		// The inner Content-Length frames the body; it is not a header.
		if _, ok := e.Lookup("Content-Length"); ok {
			t.Errorf("job %d kept the body's Content-Length as a header", i)
		}
	}
	// The client-supplied Job-UUID of "bgapi version".
	found := false
	for _, e := range jobs {
		if e.JobUUID() == "11111111-2222-3333-4444-555555555555" {
			found = true
			if e.Get("Job-Command") != "version" || !strings.HasPrefix(e.Body, "FreeSWITCH Version") {
				t.Errorf("bgapi version job: %q %q", e.Get("Job-Command"), e.Body)
			}
		}
	}
	if !found {
		t.Error("client-supplied Job-UUID not found")
	}
}

func TestSendeventTwoContentLengths(t *testing.T) {
	e := findEvent(t, captureEvents(t, "13_log_filter_sendevent.rx.txt"), "CUSTOM")
	if e.Subclass() != "esltest::foo" || e.Get("X-Test-Header") != "hello world" {
		t.Fatalf("subclass %q, X-Test-Header %q", e.Subclass(), e.Get("X-Test-Header"))
	}
	if got := e.Values("Content-Length"); !slices.Equal(got, []string{"12"}) {
		t.Fatalf("Content-Length headers %q: the first must stay, the last frames the body", got)
	}
	if e.Body != "hello\nworld\n" {
		t.Fatalf("body %q", e.Body)
	}
	// Serialised again, the event carries both lengths, as FreeSWITCH sent it.
	if out := string(e.AppendPlain(nil)); strings.Count(out, "Content-Length: 12\n") != 2 {
		t.Fatalf("re-encoded:\n%s", out)
	}
}

func TestPlainEventCases(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		headers []Header
		body    string
	}{
		{"url decoding", "A: %2B1%20(555)\nB: a+b\nC: 100%25%zz%\nD: %4\nE: %e9%C3%A9\nF: %\n\n",
			[]Header{{"A", "+1 (555)"}, {"B", "a+b"}, {"C", "100%%zz%"}, {"D", "%4"}, {"E", "\xe9é"}, {"F", "%"}}, ""},
		{"empty value and colons", "User-Data: \nX: a:b: c\nY:\n\n", []Header{{"User-Data", ""}, {"X", "a:b: c"}, {"Y", ""}}, ""},
		{"no space after the colon: a continuation", "X: 1\nY:z\nhttp://h/p\n\n", []Header{{"X", "1\nY:z\nhttp://h/p"}}, ""},
		{"raw SDP, CRLF", "A: v=0\r\nb=AS:84\r\na=rtcp:4017 IN IP4 192.0.2.1\r\nB: 2\r\n\r\n",
			[]Header{{"A", "v=0\nb=AS:84\na=rtcp:4017 IN IP4 192.0.2.1"}, {"B", "2"}}, ""},
		{"not a token before the colon", "A: 1\nx y: 2\nb=c: 3\n[a]: 4\n\n", []Header{{"A", "1\nx y: 2\nb=c: 3\n[a]: 4"}}, ""},
		{"token names", "Event-Name: X\nvariable_sip_h_X-Foo.bar: 1\n!#$%&'*+-.^_`|~09az: 2\n\n",
			[]Header{{"Event-Name", "X"}, {"variable_sip_h_X-Foo.bar", "1"}, {"!#$%&'*+-.^_`|~09az", "2"}}, ""},
		{"duplicates in order", "Hangup-Cause: A\nX: 1\nHangup-Cause: B\n\n", []Header{{"Hangup-Cause", "A"}, {"X", "1"}, {"Hangup-Cause", "B"}}, ""},
		{"non-UTF-8", "X: \xff\xfe%FF\nContent-Length: 3\n\n\x80\x00\xc3", []Header{{"X", "\xff\xfe\xff"}}, "\x80\x00\xc3"},
		{"CRLF", "A: 1\r\nB: 2\r\n\r\n", []Header{{"A", "1"}, {"B", "2"}}, ""},
		{"no trailing blank line", "A: 1\nB: 2", []Header{{"A", "1"}, {"B", "2"}}, ""},
		{"empty", "", []Header{}, ""},
		{"body, then trailing bytes ignored", "A: 1\nContent-Length: 2\n\nokEXTRA", []Header{{"A", "1"}}, "ok"},
		{"bad inner Content-Length kept as header", "Content-Length: x\n\nbody", []Header{{"Content-Length", "x"}}, ""},
		{"encoded inner Content-Length", "Content-Length: %33\n\nabc", []Header{}, "abc"},
		{"continuation lines joined", "A: first\nsecond line\n  third\nB: 2\n\n", []Header{{"A", "first\nsecond line\n  third"}, {"B", "2"}}, ""},
		{"continuation decoded, CRLF", "A: x%20y\r\nz%41\r\n\r\n", []Header{{"A", "x y\nzA"}}, ""},
		{"continuation starting with a colon", "A: 1\n: 2\n\n", []Header{{"A", "1\n: 2"}}, ""},
		{"continuation of the last header, then a body", "A: 1\nContent-Length: 2\n\nok", []Header{{"A", "1"}}, "ok"},
		{"continued Content-Length is not a length", "Content-Length: 2\nmore\n\nok", []Header{{"Content-Length", "2\nmore"}}, ""},
		{"Content-Length after a continued header", "A: 1\nmore\nContent-Length: 2\n\nok", []Header{{"A", "1\nmore"}}, "ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseEventPlain([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", e.Headers) != fmt.Sprintf("%q", tc.headers) || e.Body != tc.body {
				t.Fatalf("got %q %q\nwant %q %q", e.Headers, e.Body, tc.headers, tc.body)
			}
		})
	}
}

// A plain event whose value spans lines: variable_switch_r_sdp holding raw
// SDP (as old or odd senders write it, not URL-encoded), whose "b=AS:84"
// and "a=rtcp:4017 IN IP4 ..." lines hold a colon but are not headers.
// Every line that is not "Name: value" continues the value.
func TestPlainEventRawSDP(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "plain_raw_sdp.txt"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseEventPlain(data)
	if err != nil {
		t.Fatal(err)
	}
	const sdp = "v=0\n" +
		"o=- 3631463817 3631463817 IN IP4 192.0.2.10\n" +
		"s=pjmedia\n" +
		"b=AS:84\n" +
		"t=0 0\n" +
		"a=X-nat:0\n" +
		"m=audio 4016 RTP/AVP 103 102 104 117 3 0 8 9 101\n" +
		"c=IN IP4 192.0.2.10\n" +
		"b=AS:64000\n" +
		"a=rtpmap:103 speex/16000\n" +
		"a=rtpmap:0 PCMU/8000\n" +
		"a=rtpmap:101 telephone-event/8000\n" +
		"a=fmtp:101 0-15\n" +
		"a=rtcp:4017 IN IP4 192.0.2.10"
	for _, tc := range []struct{ name, want string }{
		{"variable_switch_r_sdp", sdp},
		{"variable_sip_user_agent", "PJSUA v1.0-trunk/WIN32"},
		{"Event-Date-Local", "2009-01-26 15:57:38"},
		{"variable_remote_media_ip", "192.0.2.10"},
		{"variable_read_codec", "PCMU"},
		{"Event-Sequence", "1234"},
	} {
		if got := e.Get(tc.name); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, got, tc.want)
		}
	}
	var names []string
	for _, h := range e.Headers {
		names = append(names, h.Name)
	}
	if len(e.Headers) != 17 {
		t.Errorf("%d headers, want 17: %q", len(e.Headers), names)
	}
	for _, n := range names {
		if strings.Contains(n, "=") {
			t.Errorf("SDP line %q taken for a header", n)
		}
	}
	// Written back, the value is URL-encoded on one line, and reads the same.
	again, err := ParseEventPlain(e.AppendPlain(nil))
	if err != nil || !sameEvent(again, e) {
		t.Fatalf("round trip: %v\n got %v\nwant %v", err, again, e)
	}
}

func TestJSONEventCases(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		headers []Header
		body    string
	}{
		{"arrays", `{"variable_DP_MATCH":["1000","1000"],"one":["a"],"none":[]}`,
			[]Header{{"variable_DP_MATCH", "ARRAY::1000|:1000"}, {"one", "ARRAY::a"}, {"none", "ARRAY::"}}, ""},
		{"escapes", `{"e":"q\" b\\ s\/ \b\f\n\r\t \u0001\u001F \u00e9\u00C9 \u20ac \ud83d\ude00"}`,
			[]Header{{"e", "q\" b\\ s/ \b\f\n\r\t \x01\x1f éÉ € 😀"}}, ""},
		{"lone surrogates become U+FFFD", `{"a":"\ud83d","b":"\ude00x","c":"\ud83d\u0041"}`,
			[]Header{{"a", "\uFFFD"}, {"b", "\uFFFDx"}, {"c", "\uFFFDA"}}, ""},
		{"values are not URL-decoded", `{"a":"%2B+b"}`, []Header{{"a", "%2B+b"}}, ""},
		{"raw non-UTF-8 kept", "{\"a\":\"\xff\xfe\"}", []Header{{"a", "\xff\xfe"}}, ""},
		{"body", `{"Event-Name":"BACKGROUND_JOB","Content-Length":"4","_body":"+OK\n"}`,
			[]Header{{"Event-Name", "BACKGROUND_JOB"}}, "+OK\n"},
		{"literals", `{"n":12.5e3,"t":true,"z":null}`, []Header{{"n", "12.5e3"}, {"t", "true"}, {"z", ""}}, ""},
		{"whitespace", " {\n \"a\" : \"b\" ,\t\"c\":[ \"d\" , \"e\" ] }\n", []Header{{"a", "b"}, {"c", "ARRAY::d|:e"}}, ""},
		{"empty object", `{}`, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseEventJSON([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", e.Headers) != fmt.Sprintf("%q", tc.headers) || e.Body != tc.body {
				t.Fatalf("got %q %q\nwant %q %q", e.Headers, e.Body, tc.headers, tc.body)
			}
		})
	}
}

func TestXMLEventCases(t *testing.T) {
	in := "<event>\n  <headers>\n    <Event-Name>BACKGROUND_JOB</Event-Name>\n    <Job-Command-Arg>a%20b&amp;c&lt;&#65;&#x42;&bogus;</Job-Command-Arg>\n" +
		"    <Empty></Empty>\n  </headers>\n  <Content-Length>8</Content-Length>\n  <body>+OK &lt;x&gt;\n  </body>\n</event>\n"
	e, err := ParseEventXML([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Header{{"Event-Name", "BACKGROUND_JOB"}, {"Job-Command-Arg", "a b&c<AB&bogus;"}, {"Empty", ""}}
	if fmt.Sprintf("%q", e.Headers) != fmt.Sprintf("%q", want) || e.Body != "+OK <x>\n" {
		t.Fatalf("got %q %q", e.Headers, e.Body)
	}
	// The codec writes it back as FreeSWITCH does and reads its own output.
	again, err := ParseEventXML(e.AppendXML(nil))
	if err != nil || fmt.Sprint(again) != fmt.Sprint(e) {
		t.Fatalf("xml round trip: %v %v", again, err)
	}
}

func TestMalformedEvents(t *testing.T) {
	tests := []struct {
		ct string
		in string
	}{
		{TypeEventPlain, "no colon here\n\n"},
		{TypeEventPlain, ": empty name\n\n"},
		{TypeEventPlain, "Content-Length: 10\n\nshort"},
		{TypeEventPlain, "Content-Length: 99999999999\n\nshort"},
		{TypeEventJSON, ``},
		{TypeEventJSON, `[]`},
		{TypeEventJSON, `{`},
		{TypeEventJSON, `{"a"}`},
		{TypeEventJSON, `{"a":}`},
		{TypeEventJSON, `{"a":"b"`},
		{TypeEventJSON, `{"a":"b",}`},
		{TypeEventJSON, `{"a":"b" "c":"d"}`},
		{TypeEventJSON, `{"a":"unterminated}`},
		{TypeEventJSON, `{"a":"bad escape \x"}`},
		{TypeEventJSON, `{"a":"short \u12"}`},
		{TypeEventJSON, `{"a":"bad hex \u12zz"}`},
		{TypeEventJSON, `{"a":"\`},
		{TypeEventJSON, `{"a":["b",]}`},
		{TypeEventJSON, `{"a":["b"`},
		{TypeEventJSON, `{"a":{"b":"c"}}`},
		{TypeEventJSON, `{"a":"b"x}`},
		{TypeEventJSON, `{1:"a"}`},
		{TypeEventJSON, `{"a":` + strings.Repeat("[", 100000) + `}`},
		{TypeEventXML, ``},
		{TypeEventXML, `<event>`},
		{TypeEventXML, `<event><headers><A>b</headers></event>`},
		{TypeEventXML, `<event><headers><A>b</A>`},
		{TypeEventXML, `<event><headers><>x</></headers></event>`},
		{TypeEventXML, `<event><headers><A/></headers></event>`},
		{TypeEventXML, `<event><headers></headers><body>x</event>`},
		{TypeEventXML, `<event><headers></headers>junk</event>`},
	}
	for _, tc := range tests {
		e, err := ParseEvent(tc.ct, []byte(tc.in))
		var ee *EventError
		if !errors.As(err, &ee) {
			t.Errorf("%s %.60q: got %v, %v; want *EventError", tc.ct, tc.in, e, err)
			continue
		}
		if ee.Error() == "" || ee.Offset < 0 || ee.Offset > len(tc.in) {
			t.Errorf("%s %.60q: error %v", tc.ct, tc.in, ee)
		}
	}
	if _, err := ParseEvent("text/plain", nil); err == nil {
		t.Error("ParseEvent accepted a non-event content type")
	}
}

func TestURLEncode(t *testing.T) {
	tests := map[string]string{
		"":                            "",
		"plain-Text_1.2~":             "plain-Text_1.2~",
		"! $ ' ( ) * , - . / _":       "!%20$%20'%20(%20)%20*%20,%20-%20.%20/%20_",
		"\r\n #%&+:;<=>?@[\\]^`{|}\"": "%0D%0A%20%23%25%26%2B%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D%22",
		"2015-07-07 16:53:14":         "2015-07-07%2016%3A53%3A14",
		"%(2000,4000,440,480)":        "%25(2000,4000,440,480)",
		"already %2B encoded":         "already%20%2B%20encoded", // %2B is not encoded twice
		"lower %2b is":                "lower%20%252b%20is",
		"short %2":                    "short%20%252",
		"end %":                       "end%20%25",
		"ARRAY::1000|:1000":           "ARRAY%3A%3A1000%7C%3A1000",
		"\x00\x1f\x7f\x80\xff é":      "%00%1F%7F%80%FF%20%C3%A9",
	}
	for in, want := range tests {
		if got := URLEncode(in); got != want {
			t.Errorf("URLEncode(%q) = %q, want %q", in, got, want)
		}
		if got := string(AppendURLEncode([]byte("x"), in)); got != "x"+want {
			t.Errorf("AppendURLEncode(%q) = %q", in, got)
		}
	}
	for in, want := range map[string]string{"a+b": "a+b", "%2B": "+", "%zz": "%zz", "%": "%", "%4": "%4", "%41%42": "AB", "%e9": "\xe9", "plain": "plain"} {
		if got := URLDecode(in); got != want {
			t.Errorf("URLDecode(%q) = %q, want %q", in, got, want)
		}
	}
}

// accessorsEvent parses the CHANNEL_HANGUP_COMPLETE event the accessor
// tests read.
func accessorsEvent(t *testing.T) *Event {
	t.Helper()
	e, err := ParseEventPlain([]byte("Event-Name: CHANNEL_HANGUP_COMPLETE\nEvent-Date-Timestamp: 1795633791583418\nEvent-Sequence: 1111\n" +
		"Unique-ID: u1\nvariable_call_uuid: c1\nHangup-Cause: NORMAL_CLEARING\nhangup-cause: SECOND\nCaller-Channel-Answered-Time: 0\n" +
		"Caller-Channel-Created-Time: junk\nvariable_DP_MATCH: ARRAY%3A%3A1000%7C%3A2000\nCall-Direction: inbound\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEventAccessors(t *testing.T) {
	e := accessorsEvent(t)
	if e.Name() != "CHANNEL_HANGUP_COMPLETE" || e.UniqueID() != "u1" || e.Direction() != "inbound" || e.HangupCause() != "NORMAL_CLEARING" {
		t.Fatalf("accessors: %q %q %q %q", e.Name(), e.UniqueID(), e.Direction(), e.HangupCause())
	}
	if e.CallUUID() != "c1" {
		t.Fatalf("CallUUID without Channel-Call-UUID = %q, want variable_call_uuid", e.CallUUID())
	}
	e.Set("Channel-Call-UUID", "c0")
	if e.CallUUID() != "c0" {
		t.Fatalf("CallUUID = %q, want Channel-Call-UUID", e.CallUUID())
	}
	if e.Sequence() != 1111 {
		t.Fatal(e.Sequence())
	}
	if ts := e.Timestamp(); !ts.Equal(time.UnixMicro(1795633791583418)) || ts.Nanosecond()%1000 != 0 || ts.UnixMicro() != 1795633791583418 {
		t.Fatalf("Timestamp = %v", ts)
	}
	for _, h := range []string{"Caller-Channel-Answered-Time", "Caller-Channel-Created-Time", "Missing-Time"} {
		if !e.Time(h).IsZero() {
			t.Errorf("Time(%s) = %v, want zero", h, e.Time(h))
		}
	}
	if got := e.Values("Hangup-Cause"); !slices.Equal(got, []string{"NORMAL_CLEARING", "SECOND"}) {
		t.Fatalf("Values = %q", got)
	}
	if got := SplitArray(e.Var("DP_MATCH")); !slices.Equal(got, []string{"1000", "2000"}) {
		t.Fatalf("SplitArray = %q", got)
	}
}

func TestSplitArray(t *testing.T) {
	if got := SplitArray("single"); !slices.Equal(got, []string{"single"}) {
		t.Fatalf("SplitArray = %q", got)
	}
	if got := SplitArray("ARRAY::"); !slices.Equal(got, []string{""}) {
		t.Fatalf("SplitArray(ARRAY::) = %q", got)
	}
}

// TestEventEdit checks the empty event's accessors, Clone, Del, Add and
// NewEvent.
func TestEventEdit(t *testing.T) {
	if (&Event{}).Sequence() != 0 || (&Event{}).Name() != "" {
		t.Fatal("empty event accessors")
	}
	e := accessorsEvent(t)
	c := e.Clone()
	c.Del("Hangup-Cause")
	c.Add("Empty", "")
	if len(e.Values("Hangup-Cause")) != 2 || c.Get("Hangup-Cause") != "SECOND" || c.Get("Hangup-Cause") == "" {
		t.Fatalf("Clone/Del: %q %q", e.Values("Hangup-Cause"), c.Values("Hangup-Cause"))
	}
	if _, ok := c.Lookup("Empty"); ok {
		t.Fatal("Add stored an empty value")
	}
	n := NewEvent("CUSTOM")
	n.Set("Event-Subclass", "a::b")
	if n.Name() != "CUSTOM" || n.Subclass() != "a::b" {
		t.Fatal(n)
	}
}

// TestPlainJSONEquivalence compares the same call flow captured as plain and
// as json: the same kinds of events, and for each kind the same set of
// header names.
func TestPlainJSONEquivalence(t *testing.T) {
	plain := captureEvents(t, "06_call_sofia_plain_all.rx.txt")
	jsn := captureEvents(t, "07_call_sofia_json_all.rx.txt")
	names := func(evs []*Event) map[string][]string {
		m := map[string]map[string]bool{}
		for _, e := range evs {
			k := e.Name() + " " + e.Subclass()
			if m[k] == nil {
				m[k] = map[string]bool{}
			}
			for _, h := range e.Headers {
				m[k][h.Name] = true
			}
		}
		out := map[string][]string{}
		for k, set := range m {
			for n := range set {
				out[k] = append(out[k], n)
			}
			sort.Strings(out[k])
		}
		return out
	}
	pn, jn := names(plain), names(jsn)
	for kind, p := range pn {
		j, ok := jn[kind]
		if !ok {
			t.Errorf("%s: in plain only", kind)
			continue
		}
		if !slices.Equal(p, j) {
			t.Errorf("%s: header names differ:\nplain only %q\n json only %q", kind, minus(p, j), minus(j, p))
		}
	}
	for kind := range jn {
		if _, ok := pn[kind]; !ok {
			t.Errorf("%s: in json only", kind)
		}
	}
	if len(pn) < 20 {
		t.Errorf("only %d kinds of events", len(pn))
	}
	// Event by event: the n-th event of a kind has the same header names,
	// in the same order, in both captures.
	byKind := func(evs []*Event) map[string][]*Event {
		m := map[string][]*Event{}
		for _, e := range evs {
			k := e.Name() + " " + e.Subclass()
			m[k] = append(m[k], e)
		}
		return m
	}
	pk, jk := byKind(plain), byKind(jsn)
	for kind, pe := range pk {
		je := jk[kind]
		if len(pe) != len(je) {
			t.Errorf("%s: %d plain events, %d json", kind, len(pe), len(je))
			continue
		}
		for i := range pe {
			var a, b []string
			for _, h := range pe[i].Headers {
				a = append(a, h.Name)
			}
			for _, h := range je[i].Headers {
				b = append(b, h.Name)
			}
			if !slices.Equal(a, b) {
				t.Errorf("%s #%d: header names differ:\nplain only %q\n json only %q", kind, i, minus(a, b), minus(b, a))
			}
		}
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
