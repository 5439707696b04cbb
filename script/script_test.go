package script_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/script"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const minimal = `
def park(app, s, ev):
    s.answer()

app(name = "A", on = {"CHANNEL_PARK": park})
`

// A bad file is one line naming the file, line and column, before any
// call.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"syntax", "def f(:\n", "x.star:1:8: got ':', want ')'"},
		{"unknown event", "def f(a, s, e):\n    pass\napp(name = \"A\", on = {\"CHANNEL_PARKK\": f})\n", `x.star:3:4: app: on: unknown event "CHANNEL_PARKK"`},
		{"arity", "def f(s, e):\n    pass\napp(name = \"A\", on = {\"CHANNEL_PARK\": f})\n", "x.star:3:4: app: on CHANNEL_PARK: f takes 2 parameters, want 3"},
		{"param default", "def f(a, s, e):\n    pass\napp(name = \"A\", on = {\"DTMF\": f}, params = {\"x\": param([1])})\n", "x.star:3:55: param: default list"},
		{"param not param()", "def f(a, s, e):\n    pass\napp(name = \"A\", on = {\"DTMF\": f}, params = {\"x\": 3})\n", "x.star:3:4: app: parameter x: want param(default, help), got int"},
		{"verdict kind", "def f(a, s, e):\n    pass\napp(name = \"A\", on = {\"DTMF\": f}, verdicts = [verdict(\"ok\", \"boolean\")])\n", `x.star:3:54: verdict ok: kind "boolean"`},
		{"twice", minimal + "app(name = \"A\", on = {\"CHANNEL_PARK\": park})\n", `x.star:6:4: app: "A" declared twice`},
		{"no app", "x = 1\n", "x.star: declares no app"},
		{"runtime error", "x = 1 // 0\n", "x.star:1:7: floored division by zero"},
		{"no handler", "app(name = \"A\", on = {})\n", "x.star:1:4: app: on: no handler"},
		{"audio", "def f(a, s, e):\n    pass\napp(name = \"A\", on = {\"DTMF\": f}, audio = \"left\")\n", `app: audio "left"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := script.LoadSource("x.star", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line containing %q", err, tc.want)
			}
		})
	}
}

// Parameters take their type from their default; a spec's text sets them.
func TestParams(t *testing.T) {
	src := `
def f(a, s, e):
    pass
app(name = "P", on = {"DTMF": f}, params = {
    "n": param(3, "a count"), "x": param(0.5), "on": param(False), "who": param("me"),
})
`
	ts, err := script.LoadSource("p.star", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ts[0].Params {
		got = append(got, p.Name+":"+p.Type()+"="+p.Default.String())
	}
	if want := `n:int=3 on:bool=False who:string="me" x:float=0.5`; strings.Join(got, " ") != want {
		t.Fatalf("params %v, want %s", got, want)
	}
	if _, err := ts[0].New("n=7,x=1.5,on=true,who=you"); err != nil {
		t.Fatal(err)
	}
	for spec, want := range map[string]string{
		"n=seven": `parameter n: "seven" is not an int`,
		"m=1":     `unknown parameter "m" (its parameters: n, on, who, x)`,
		"on=yes":  `parameter on: "yes" is not true or false`,
		"n":       `parameter "n": want key=value`,
	} {
		if _, err := ts[0].New(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%q): %v, want %q", spec, err, want)
		}
	}
}

func TestSplitFile(t *testing.T) {
	for _, tc := range []struct{ in, path, name, rest string }{
		{"./examples/apps/tone.star", "./examples/apps/tone.star", "", ""},
		{"apps/tone.star#TonePlay/freq=440:3", "apps/tone.star", "TonePlay", "/freq=440:3"},
		{"/abs/dir.star/x.star:2", "/abs/dir.star/x.star", "", ":2"},
		{"t.star/freq=1", "t.star", "", "/freq=1"},
	} {
		path, name, rest, ok := script.SplitFile(tc.in)
		if !ok || path != tc.path || name != tc.name || rest != tc.rest {
			t.Errorf("SplitFile(%q) = %q %q %q %v, want %q %q %q", tc.in, path, name, rest, ok, tc.path, tc.name, tc.rest)
		}
	}
	for _, s := range []string{"TonePlay", "TonePlay/freq=440:2", "star", "x.starfish"} {
		if _, _, _, ok := script.SplitFile(s); ok {
			t.Errorf("SplitFile(%q) took it for a script", s)
		}
	}
	if err := script.NotAScript("./apps.py:MyApp"); err == nil || !strings.Contains(err.Error(), "./apps.py is not a script: switchio loads apps from .star files") {
		t.Errorf("NotAScript(./apps.py:MyApp) = %v", err)
	}
	for _, s := range []string{"TonePlay", "TonePlay/dir=/tmp/x.wav", "PlayRec/clip=a.wav:2"} {
		if err := script.NotAScript(s); err != nil {
			t.Errorf("NotAScript(%q) = %v", s, err)
		}
	}
}

// Resolve registers a file's apps and picks the one a spec names.
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "two.star")
	src := minimal + "app(name = \"B\", on = {\"CHANNEL_PARK\": park}, params = {\"k\": param(1)})\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := appkit.NewRegistry()
	spec, weight, err := script.Resolve(reg, path+"#B/k=2:5")
	if err != nil || spec != "two.star#B/k=2" || weight != "5" {
		t.Fatalf("Resolve = %q %q %v", spec, weight, err)
	}
	if _, err := reg.New(spec); err != nil {
		t.Fatal(err)
	}
	// A value holding ':' (a URL) is a parameter's, not a weight; a
	// number after the last ':' is the weight.
	for in, want := range map[string][2]string{
		path + "#B/k=http://h/x.wav":   {"two.star#B/k=http://h/x.wav", ""},
		path + "#B/k=http://h/x.wav:7": {"two.star#B/k=http://h/x.wav", "7"},
		path + "#A:3":                  {"two.star#A", "3"},
	} {
		spec, weight, err := script.Resolve(reg, in)
		if err != nil || spec != want[0] || weight != want[1] {
			t.Errorf("Resolve(%q) = %q %q %v, want %q %q", in, spec, weight, err, want[0], want[1])
		}
	}
	if _, _, err := script.Resolve(reg, path); err == nil || !strings.Contains(err.Error(), "declares A, B: name one") {
		t.Fatalf("a file of two apps without a name: %v", err)
	}
	if _, _, err := script.Resolve(reg, path+"#C"); err == nil || !strings.Contains(err.Error(), `no app "C" (it declares A, B)`) {
		t.Fatalf("an unknown name: %v", err)
	}
}

// loadApp loads examples/apps/NAME and returns its one app with params.
func loadApp(t *testing.T, file, params string) *script.App {
	t.Helper()
	ts, err := script.Load(filepath.Join("..", "examples", "apps", file))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ts[0].New(params)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The script TonePlay gives the calls the Go TonePlay gives: every call
// answered, held and completed, with RTP both ways (rtp_ok), on fsemu.
func TestToneScriptMatchesGo(t *testing.T) {
	if testing.Short() {
		t.Skip("dials")
	}
	const calls = 20
	goRun := dialtest.Run(t, dialtest.Options{Spec: "TonePlay", Calls: calls, Hold: 1500 * time.Millisecond})
	a := loadApp(t, "tone.star", "freq=440")
	scriptRun := dialtest.Run(t, dialtest.Options{App: a, Calls: calls, Hold: 1500 * time.Millisecond})
	for name, res := range map[string]dialtest.Result{"go": goRun, "script": scriptRun} {
		sm := res.Summary
		if sm.Offered != calls || sm.Completed != calls || len(res.Records) != calls {
			t.Errorf("%s: offered %d, completed %d, %d records; want %d each", name, sm.Offered, sm.Completed, len(res.Records), calls)
		}
		ok := 0
		for _, r := range res.Records {
			if v, set := dialtest.Bool(r, measure.VerdictRTPOK); v && set {
				ok++
			}
			if e := dialtest.String(r, script.ScriptError); e != "" {
				t.Errorf("%s: script error %s", name, e)
			}
		}
		if ok != calls {
			t.Errorf("%s: rtp_ok on %d of %d calls", name, ok, calls)
		}
	}
	if a.Errors() != 0 {
		t.Errorf("script errors %d", a.Errors())
	}
}

// A handler that fails, or runs past its step limit, is counted and marks
// its call with script_error (file:line: error); the calls go on and end
// as they would have.
func TestHandlerFailureMarksCall(t *testing.T) {
	if testing.Short() {
		t.Skip("dials")
	}
	src := `
def park(app, s, ev):
    if s.inbound and not s.answered:
        s.answer()

def answered(app, s, ev):
    if s.inbound:
        return
    if app.spin:
        for i in range(1000000000):
            pass
    x = 1 // 0

app(name = "Bad", on = {"CHANNEL_PARK": park, "CHANNEL_ANSWER": answered}, params = {"spin": param(False)})
`
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.star")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ params, want string }{
		{"", path + ":12:11: floored division by zero"},
		{"spin=true", "too many steps"},
	} {
		ts, err := script.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ts[0].New(tc.params)
		if err != nil {
			t.Fatal(err)
		}
		res := dialtest.Run(t, dialtest.Options{App: a, Calls: 5, Hold: 300 * time.Millisecond})
		if res.Summary.Completed != 5 {
			t.Errorf("%q: %d of 5 completed", tc.params, res.Summary.Completed)
		}
		for _, r := range res.Records {
			if e := dialtest.String(r, script.ScriptError); !strings.Contains(e, tc.want) {
				t.Errorf("%q: script_error %q, want it to contain %q", tc.params, e, tc.want)
			}
		}
		if a.Errors() != 5 {
			t.Errorf("%q: %d errors counted, want 5", tc.params, a.Errors())
		}
	}
}
