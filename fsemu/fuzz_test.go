package fsemu

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
	"github.com/switchio/switchio/originate"
)

// FuzzOriginateRequest builds originate commands from arbitrary request
// fields. Command must never panic, and a command it builds must parse
// back, through the emulator's originate parser (FreeSWITCH's argument
// splitting and dial-string variable blocks), as the same variables in the
// same order, the same first dial target and the same application. The
// seed corpus is in testdata/fuzz/FuzzOriginateRequest.
func FuzzOriginateRequest(f *testing.F) {
	type seed struct {
		endpoint, dest, profile, gateway, proxy, cidName, cidNum, codec string
		hdrName, hdrValue, varName, varValue, app, appArg, exten        string
		timeout                                                         uint16
	}
	for _, s := range []seed{
		{dest: "1000@127.0.0.1:5080"},
		{dest: "5551234", gateway: "gw1", cidName: "Load Test", cidNum: "100", codec: "PCMU,PCMA", timeout: 30},
		{dest: "1000@10.0.0.1", profile: "internal", proxy: "10.0.0.2:5060", hdrName: "X-switchio_app", hdrValue: "TonePlay/freq=440"},
		{endpoint: "loopback/1000", varName: "probe", varValue: "it's {x}", exten: "1000"},
		{endpoint: "loopback/1000", varName: "probe", varValue: `a,b;c:d|e\f "g"`, app: "echo"},
		{dest: "a@b", varName: "execute_on_answer", varValue: "sched_hangup +5 NORMAL_CLEARING", app: "playback", appArg: "tone_stream://%(100,0,440)"},
		{dest: "a@b", hdrName: "P-Asserted-Identity", hdrValue: "<sip:1@x>", varName: "v", varValue: "}{"},
	} {
		f.Add(s.endpoint, s.dest, s.profile, s.gateway, s.proxy, s.cidName, s.cidNum, s.codec,
			s.hdrName, s.hdrValue, s.varName, s.varValue, s.app, s.appArg, s.exten, s.timeout)
	}
	f.Fuzz(func(t *testing.T, endpoint, dest, profile, gateway, proxy, cidName, cidNum, codec,
		hdrName, hdrValue, varName, varValue, app, appArg, exten string, timeout uint16) {
		r := originate.Request{Endpoint: endpoint, Dest: dest, Profile: profile, Gateway: gateway, Proxy: proxy,
			CallerIDName: cidName, CallerIDNumber: cidNum, Codec: codec, Timeout: time.Duration(timeout) * time.Second,
			App: app, AppArg: appArg, Exten: exten}
		if hdrName != "" {
			r.Headers = []originate.Var{{Name: hdrName, Value: hdrValue}}
		}
		if varName != "" {
			r.Vars = []originate.Var{{Name: varName, Value: varValue}}
		}
		cmd, err := r.Command()
		if err != nil {
			if !errors.Is(err, originate.ErrInvalid) {
				t.Fatalf("Command: %v, not an originate.ErrInvalid", err)
			}
			return
		}
		args, ok := strings.CutPrefix(cmd, "originate ")
		if !ok {
			t.Fatalf("%q does not start with originate", cmd)
		}
		p, ok := parseOriginate(args)
		if !ok {
			t.Fatalf("%q: the emulator answers usage", cmd)
		}
		var want []wire.Header
		for _, v := range r.Variables() {
			want = append(want, wire.Header{Name: v.Name, Value: v.Value})
		}
		// An Endpoint, used verbatim, may open with its own per-leg
		// variables ([..] or <..>): they follow the request's.
		legVars := strings.HasPrefix(endpoint, "[") || strings.HasPrefix(endpoint, "<")
		if got := p.vars; legVars && len(got) >= len(want) {
			p.vars = got[:len(want)]
		}
		if !equalHeaders(p.vars, want) {
			t.Fatalf("%q: variables\n got %q\nwant %q", cmd, p.vars, want)
		}
		target, _ := r.Target()
		if first := firstTarget(target); !legVars && p.leg != first {
			t.Fatalf("%q: first dial target %q, want %q", cmd, p.leg, first)
		}
		if exten != "" {
			if p.exten != exten {
				t.Fatalf("%q: extension %q, want %q", cmd, p.exten, exten)
			}
			return
		}
		wantApp := app
		if wantApp == "" {
			wantApp = "park"
		}
		if p.app != wantApp || p.arg != appArg {
			t.Fatalf("%q: application %q(%q), want %q(%q)", cmd, p.app, p.arg, wantApp, appArg)
		}
	})
}

// firstTarget is the first of several dial targets (an Endpoint may name
// several, separated by ',', '|' or ":_:").
func firstTarget(t string) string {
	if i := strings.Index(t, ":_:"); i >= 0 {
		t = t[:i]
	}
	if i := strings.IndexAny(t, ",|"); i >= 0 {
		t = t[:i]
	}
	return t
}

func equalHeaders(a, b []wire.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fuzzDeadline bounds each step of one FuzzCommands input: the server
// reading the input, its Close, and its output ending.
const fuzzDeadline = 5 * time.Second

// FuzzCommands feeds arbitrary bytes to a fresh server as one client's
// command stream, after "auth ClueCon" and followed by "exit", over a
// net.Pipe. The server must never panic and never hang: within the
// deadline it reads the whole input or is running a blocking api command
// (an originate waiting for its call); Close then returns within the
// deadline, every goroutine ends, and everything it wrote parses as ESL
// frames. The seed corpus is in testdata/fuzz/FuzzCommands.
func FuzzCommands(f *testing.F) {
	for _, s := range []string{
		"",
		"api status\n\n",
		"api version\n\napi show channels as json\n\napi hostname\n\n",
		"event plain ALL\n\nbgapi originate {origination_uuid=f0000000-0000-4000-8000-000000000001}loopback/1000 &park()\n\napi uuid_kill f0000000-0000-4000-8000-000000000001\n\n",
		"event json CHANNEL_CREATE CHANNEL_ANSWER CUSTOM sofia::register\n\nnixevent CHANNEL_CREATE\n\nnoevents\n\n",
		"filter Event-Name CHANNEL_ANSWER\n\nfilter delete all\n\nmyevents f0000000-0000-4000-8000-000000000001 xml\n\n",
		"sendevent CUSTOM\nEvent-Subclass: switchio::probe\nContent-Length: 5\n\nhello",
		"sendmsg f0000000-0000-4000-8000-000000000001\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://100\n\n",
		"log DEBUG\n\nnolog\n\nlinger\n\ndivert_events on\n\n",
		"api originate {originate_timeout=1}sofia/external/1000@127.0.0.1:1 &park()\n\n",
		"bgapi originate sofia/external/1000@127.0.0.1:5080 &echo()\nJob-UUID: j1\n\napi hupall\n\n",
		"api fsctl sps 1\n\napi fsctl max_sessions 1\n\napi sched_hangup +1 x\n\napi eval ${x}\n\n",
		"exit\n\napi status\n\n",
		"auth other\n\n",
		"userauth a@b:c\n\n",
		"api \x00\xff\r\n\r\n\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Start(context.Background(), Config{AllowRemote: true, HeartbeatInterval: -1,
			Inbound: Inbound{Action: "answer"}})
		if err != nil {
			t.Fatal(err)
		}
		closed := false
		defer func() {
			if !closed {
				s.Close()
			}
		}()
		client, server := net.Pipe()
		defer client.Close()
		out := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(client)
			out <- b
		}()
		s.serve(server)
		input := append([]byte("auth ClueCon\n\n"), data...)
		input = append(input, "\n\nexit\n\n"...)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			client.Write(input) // fails once the server closes the connection
		}()
		select {
		case <-wrote:
		case <-time.After(fuzzDeadline):
			if !s.inBlockingAPI() {
				t.Fatalf("the server stopped reading outside an api command")
			}
		}
		done := make(chan struct{})
		go func() { s.Close(); close(done) }()
		select {
		case <-done:
			closed = true
		case <-time.After(fuzzDeadline):
			t.Fatalf("Close did not return")
		}
		// Close waited for the server's goroutines: its end of the pipe
		// is closed, so the output ends and the writer fails.
		var b []byte
		select {
		case b = <-out:
		case <-time.After(fuzzDeadline):
			t.Fatalf("the output did not end")
		}
		<-wrote
		// A connection the server aborts (a frame that does not parse)
		// loses what was not written yet, even the auth request.
		if authReq := []byte("Content-Type: auth/request\n\n"); !bytes.HasPrefix(b, authReq) && !bytes.HasPrefix(authReq, b) {
			t.Fatalf("the server did not start with the auth request: %q", b)
		}
		rd := wire.NewReader(bytes.NewReader(b))
		for {
			_, err := rd.ReadMessage()
			if err == io.EOF {
				break
			}
			var pe *wire.ProtocolError
			if errors.As(err, &pe) {
				t.Fatalf("the server wrote a frame that does not parse: %v", err)
			}
			if err != nil {
				break // cut short by the close
			}
		}
	})
}

// inBlockingAPI reports whether a connection is running an api command
// (which blocks its reads, as in FreeSWITCH).
func (s *Server) inBlockingAPI() bool {
	s.lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.unlock()
	for _, c := range conns {
		c.omu.Lock()
		in := c.inAPI
		c.omu.Unlock()
		if in {
			return true
		}
	}
	return false
}
