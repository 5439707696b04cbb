package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/dialer/web"
	"github.com/switchio/switchio/fsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctxT(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newDialer starts an n-server emulated cluster, a pool over it and an
// originator with TonePlay loaded (weight 1).
func newDialer(t *testing.T, n int, cfg dialer.Config) (*dialer.Originator, string) {
	t.Helper()
	o, id, _ := dialtest.Originator(t, n, cfg, fsemu.Config{})
	return o, id
}

// serve starts the live view of o on a free loopback port; it stops (and
// is waited for) at the test's end.
func serve(t *testing.T, o *dialer.Originator) *web.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := web.Serve(ctx, "127.0.0.1:0", false, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := s.Wait(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:8089", false, true},
		{"localhost:0", false, true},
		{"[::1]:8089", false, true},
		{"0.0.0.0:8089", false, false},
		{":8089", false, false},
		{"192.0.2.1:8089", false, false},
		{"example.com:8089", false, false},
		{"0.0.0.0:8089", true, true},
		{"nonsense", true, false},
	} {
		err := web.CheckAddr(tc.addr, tc.remote)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAddr(%q, %v) = %v, want ok %v", tc.addr, tc.remote, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("CheckAddr(%q): multi-line error %q", tc.addr, err)
		}
	}
	_, err := web.Serve(context.Background(), "0.0.0.0:0", false, &dialer.Originator{})
	if !errors.Is(err, web.ErrNotLoopback) {
		t.Errorf("Serve on 0.0.0.0 without allowRemote: %v", err)
	}
}

func getStats(t *testing.T, s *web.Server) web.Snapshot {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr() + "/api/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/stats: %s", resp.Status)
	}
	var v web.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// After a run the JSON snapshot says what Stats says.
func TestSnapshotMatchesStats(t *testing.T) {
	o, id := newDialer(t, 2, dialer.Config{Rate: 100, Limit: 20, MaxOffered: 30, Duration: 200 * time.Millisecond})
	s := serve(t, o)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.Wait(ctxT(t, 20*time.Second)); err != nil {
		t.Fatal(err)
	}
	before := o.Stats()
	v := getStats(t, s)
	after := o.Stats()
	if v.State != before.State.String() || v.Offered != before.Offered || v.Answered != before.Answered ||
		v.Failed != before.Failed || v.Active != before.Active || v.PeakActive != before.PeakActive ||
		v.Rate != before.Rate || v.Limit != before.Limit || v.MaxOffered != before.MaxOffered ||
		v.AllServersLost != before.AllServersLost || v.HoldS != o.Duration().Seconds() {
		t.Errorf("snapshot %+v\nstats %+v", v, before)
	}
	if v.Offered != 30 || v.ETAS != nil {
		t.Errorf("offered %d, ETA %v: want 30, none", v.Offered, v.ETAS)
	}
	if v.ElapsedS < before.Elapsed.Seconds() || v.ElapsedS > after.Elapsed.Seconds() {
		t.Errorf("elapsed %v s, not within %v..%v", v.ElapsedS, before.Elapsed, after.Elapsed)
	}
	if len(v.Servers) != len(before.Servers) {
		t.Fatalf("%d servers, want %d", len(v.Servers), len(before.Servers))
	}
	for i, sv := range v.Servers {
		ss := before.Servers[i]
		if sv.Addr != ss.Addr || sv.Offered != ss.Offered || sv.Answered != ss.Answered || sv.Failed != ss.Failed ||
			sv.Active != ss.Active || sv.Down != ss.Down || sv.Lost != ss.Lost || sv.Saturated != ss.Saturated {
			t.Errorf("server %d: %+v, stats %+v", i, sv, ss)
		}
	}
	if len(v.Apps) != 1 || v.Apps[0].ID != id || v.Apps[0].Calls != 30 || v.Apps[0].Weight == nil || *v.Apps[0].Weight != 1 {
		t.Errorf("apps %+v (TonePlay loaded with weight 1)", v.Apps)
	}
	if v.Seq == 0 || len(v.Points) == 0 {
		t.Errorf("no chart point (seq %d)", v.Seq)
	}
}

// change is the request a table case sends.
type change struct {
	method, path, body string
	noToken            bool
	token              string // instead of the server's
	host, origin       string
}

func send(t *testing.T, s *web.Server, c change) (int, string) {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	req, err := http.NewRequest(c.method, "http://"+s.Addr()+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case c.token != "":
		req.Header.Set(web.TokenHeader, c.token)
	case !c.noToken:
		req.Header.Set(web.TokenHeader, s.Token())
	}
	if c.host != "" {
		req.Host = c.host
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestControls(t *testing.T) {
	o, id := newDialer(t, 1, dialer.Config{Rate: 5, Limit: 50, Duration: 300 * time.Millisecond})
	s := serve(t, o)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(s.Addr(), ":")
	rate := `{"rate":7.5}`
	for _, tc := range []struct {
		name string
		req  change
		code int
		// setting and value the change log must end with when the
		// request is accepted.
		setting, value string
	}{
		{"rate", change{path: "/api/rate", body: rate}, 200, "rate", "7.5"},
		{"rate via localhost", change{path: "/api/rate", body: `{"rate":8}`, host: "localhost:" + port, origin: "http://localhost:" + port}, 200, "rate", "8"},
		{"same origin", change{path: "/api/rate", body: `{"rate":9}`, origin: "http://" + s.Addr()}, 200, "rate", "9"},
		{"limit", change{path: "/api/limit", body: `{"limit":40}`}, 200, "limit", "40"},
		{"hold", change{path: "/api/hold", body: `{"hold_s":0.25}`}, 200, "duration", "250ms"},
		{"weight", change{path: "/api/weight", body: `{"app":"` + id + `","weight":3}`}, 200, "weight TonePlay", "3"},
		{"no token", change{path: "/api/rate", body: rate, noToken: true}, 403, "", ""},
		{"wrong token", change{path: "/api/rate", body: rate, token: strings.Repeat("0", 64)}, 403, "", ""},
		{"foreign host", change{path: "/api/rate", body: rate, host: "evil.example:" + port}, 403, "", ""},
		{"foreign host on GET", change{method: "GET", path: "/api/stats", host: "evil.example:" + port}, 403, "", ""},
		{"foreign origin", change{path: "/api/rate", body: rate, origin: "http://evil.example"}, 403, "", ""},
		{"null origin", change{path: "/api/rate", body: rate, origin: "null"}, 403, "", ""},
		{"GET a control", change{method: "GET", path: "/api/rate"}, 405, "", ""},
		{"NaN", change{path: "/api/rate", body: `{"rate":NaN}`}, 400, "", ""},
		{"NaN as text", change{path: "/api/rate", body: `{"rate":"NaN"}`}, 400, "", ""},
		{"huge", change{path: "/api/rate", body: `{"rate":1e400}`}, 400, "", ""},
		{"zero rate", change{path: "/api/rate", body: `{"rate":0}`}, 400, "", ""},
		{"negative rate", change{path: "/api/rate", body: `{"rate":-1}`}, 400, "", ""},
		{"no rate", change{path: "/api/rate", body: `{}`}, 400, "", ""},
		{"unknown field", change{path: "/api/rate", body: `{"rate":1,"x":1}`}, 400, "", ""},
		{"trailing data", change{path: "/api/rate", body: `{"rate":1}{}`}, 400, "", ""},
		{"fractional limit", change{path: "/api/limit", body: `{"limit":1.5}`}, 400, "", ""},
		{"negative limit", change{path: "/api/limit", body: `{"limit":-3}`}, 400, "", ""},
		{"negative hold", change{path: "/api/hold", body: `{"hold_s":-1}`}, 400, "", ""},
		{"unknown app", change{path: "/api/weight", body: `{"app":"nope","weight":1}`}, 400, "", ""},
		{"negative weight", change{path: "/api/weight", body: `{"app":"` + id + `","weight":-1}`}, 400, "", ""},
		{"body too large", change{path: "/api/rate", body: `{"rate":1` + strings.Repeat(" ", web.MaxBody) + `}`}, 413, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(o.Summary().Changes)
			rateBefore, limitBefore := o.Stats().Rate, o.Limit()
			code, body := send(t, s, tc.req)
			if code != tc.code {
				t.Fatalf("%s %s: %d %q, want %d", tc.req.method, tc.req.path, code, body, tc.code)
			}
			if code != 200 && strings.Count(strings.TrimSpace(body), "\n") > 0 {
				t.Errorf("error not one line: %q", body)
			}
			if strings.Contains(body, s.Token()) {
				t.Errorf("answer leaks the token")
			}
			ch := o.Summary().Changes
			if tc.code != 200 {
				if len(ch) != n || o.Stats().Rate != rateBefore || o.Limit() != limitBefore {
					t.Errorf("refused request changed the run: %d -> %d changes", n, len(ch))
				}
				return
			}
			if len(ch) <= n {
				t.Fatalf("no change logged")
			}
			if last := ch[len(ch)-1]; last.Setting != tc.setting || last.Value != tc.value {
				t.Errorf("last change %+v, want %s = %s", last, tc.setting, tc.value)
			}
		})
	}
	if r := o.Stats().Rate; r != 9 {
		t.Errorf("rate %v, want 9", r)
	}
	// Stop, then hang up this dialer's calls.
	if code, body := send(t, s, change{path: "/api/stop"}); code != 200 {
		t.Fatalf("stop: %d %s", code, body)
	}
	if st := o.State(); st != dialer.Stopped {
		t.Errorf("state %v after stop", st)
	}
	if code, body := send(t, s, change{path: "/api/hupall"}); code != 200 {
		t.Fatalf("hupall: %d %s", code, body)
	}
	if err := o.Wait(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
}

// The page carries the token on loopback; nothing served names the ESL
// password; the page is never framed.
func TestPage(t *testing.T) {
	o, _ := newDialer(t, 1, dialer.Config{Rate: 1, Limit: 1})
	s := serve(t, o)
	for _, path := range []string{"/", "/assets/app.js", "/assets/uplot.js", "/assets/uplot.css", "/assets/app.css", "/api/stats"} {
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) == 0 {
			t.Errorf("GET %s: %s, %d bytes", path, resp.Status, len(b))
		}
		if strings.Contains(strings.ToLower(string(b)), "clueco") {
			t.Errorf("GET %s names the ESL password", path)
		}
		if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q", path, got)
		}
		if path == "/" && !strings.Contains(string(b), `content="`+s.Token()+`"`) {
			t.Errorf("page on loopback without its token")
		}
		if path != "/" && strings.Contains(string(b), s.Token()) {
			t.Errorf("GET %s leaks the token", path)
		}
	}
	if u := s.URL(); !strings.HasSuffix(u, "/#token="+s.Token()) {
		t.Errorf("URL %s", u)
	}
}

// Listening on every interface (allowed), the page does not carry the
// token, and a Host must still be an IP literal with the port or
// localhost: a host name (DNS rebinding) is refused.
func TestRemotePage(t *testing.T) {
	o, _ := newDialer(t, 1, dialer.Config{Rate: 1, Limit: 1})
	ctx, cancel := context.WithCancel(context.Background())
	s, err := web.Serve(ctx, "0.0.0.0:0", true, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := s.Wait(); err != nil {
			t.Error(err)
		}
	}()
	_, port, _ := strings.Cut(s.Addr(), "]:")
	if port == "" {
		_, port, _ = strings.Cut(s.Addr(), ":")
	}
	for _, tc := range []struct {
		host string
		code int
	}{
		{"127.0.0.1:" + port, 200},
		{"localhost:" + port, 200},
		{"192.0.2.7:" + port, 200},
		{"evil.example:" + port, 403},
		{"127.0.0.1:1", 403},
	} {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+port+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("Host %s: %s, want %d", tc.host, resp.Status, tc.code)
		}
		if strings.Contains(string(b), s.Token()) {
			t.Errorf("Host %s: the page carries the token off loopback", tc.host)
		}
	}
}

// The page's two hang-ups do what their labels say: "Hang up calls, keep
// offering" (POST /api/hangup) ends the calls up now and the run goes on
// offering; "Stop the run" (POST /api/hupall) hangs up and stops offering,
// as Ctrl-C, so the run ends.
func TestHangupKeepsOfferingHupallStops(t *testing.T) {
	o, _ := newDialer(t, 1, dialer.Config{Rate: 40, Limit: 200, Duration: time.Minute})
	s := serve(t, o)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 20*time.Second)
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool { return st.Active < 5 }); err != nil {
		t.Fatal(err)
	}
	// Read before the click: a call offered between the click and a read
	// after it would count as up at the click without being hung up.
	beforeHangup := o.Stats().Offered
	if code, body := send(t, s, change{path: "/api/hangup"}); code != 200 {
		t.Fatalf("hangup: %d %s", code, body)
	}
	// Every call offered before the click ends (the hold is a minute), and
	// the run keeps offering: once more calls are offered, only calls
	// offered since are up.
	if err := o.WaitWhile(ctx, func(st dialer.Stats) bool {
		return st.Offered < beforeHangup+5 || uint64(st.Active) > st.Offered-beforeHangup
	}); err != nil {
		t.Fatalf("after /api/hangup: %+v: %v", o.Stats(), err)
	}
	if st := o.State(); st != dialer.Originating {
		t.Fatalf("state %v after /api/hangup, want originating", st)
	}
	if ch := o.Summary().Changes; len(ch) == 0 || ch[len(ch)-1].Setting != "hang up" {
		t.Errorf("changes %+v, want a hang up last", ch)
	}
	if code, body := send(t, s, change{path: "/api/hupall"}); code != 200 {
		t.Fatalf("hupall: %d %s", code, body)
	}
	if st := o.State(); st != dialer.Stopped {
		t.Errorf("state %v after /api/hupall, want stopped", st)
	}
	if err := o.Wait(ctx); err != nil {
		t.Fatalf("calls still up after /api/hupall: %+v", o.Stats())
	}
	offered := o.Stats().Offered
	time.Sleep(200 * time.Millisecond)
	if st := o.Stats(); st.Offered != offered || st.State != dialer.Stopped {
		t.Errorf("after /api/hupall: offered %d -> %d, state %v: the run went on", offered, st.Offered, st.State)
	}
	sm := o.Summary()
	if sm.Abandoned == 0 {
		t.Errorf("summary %+v: no call abandoned by the hang-ups", sm)
	}
}
