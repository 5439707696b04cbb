package script_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/script"
)

// A script's hooks are the Go apps': on_load sees the dialer's load (its
// result reaches the handlers as app.state), and max_hold makes the app
// self-ending: the dialer leaves its calls up past the hold, the app ends
// them (after 1 s here, where the hold is 5 s) and they count as
// completed.
func TestScriptHooks(t *testing.T) {
	if testing.Short() {
		t.Skip("dials")
	}
	src := `
def on_load(app, offered):
    return {"plays": offered.hold_ms // 1000, "rate": offered.rate}

def max_hold(app, hold_ms):
    return 2 * hold_ms

def park(app, s, ev):
    if s.inbound and not s.answered:
        s.answer()

def ready(app, s, ev):
    if s.inbound or s.call == None:
        return
    s.call.verdict("plays", app.state["plays"])
    s.call.completed()
    s.sched_hangup(1)

app(name = "Short", on = {"CHANNEL_PARK": park, "MEDIA_READY": ready},
    on_load = on_load, max_hold = max_hold, verdicts = [verdict("plays", "int")])
`
	path := filepath.Join(t.TempDir(), "short.star")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := script.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ts[0].New("")
	if err != nil {
		t.Fatal(err)
	}
	se := script.SelfEndingApp{App: a}
	if _, ok := any(se).(appkit.SelfEnding); !ok {
		t.Fatal("a script declaring max_hold is not appkit.SelfEnding")
	}
	if got := se.MaxHold(3 * time.Second); got != 6*time.Second {
		t.Fatalf("MaxHold(3s) = %v, want 6s", got)
	}
	res := dialtest.Run(t, dialtest.Options{App: se, Calls: 4, Hold: 5 * time.Second})
	if res.Summary.Completed != 4 || res.Summary.Dropped != 0 {
		t.Fatalf("completed %d, dropped %d; want 4, 0", res.Summary.Completed, res.Summary.Dropped)
	}
	for _, r := range res.Records {
		if plays, ok := dialtest.Int(r, "plays"); !ok || plays != 5 {
			t.Errorf("call %d: plays %d (set %v), want 5 from the 5 s hold", r.Seq, plays, ok)
		}
		if r.BillMsec == nil || *r.BillMsec > 3000 {
			t.Errorf("call %d: billmsec %d: the app's 1 s hang-up did not end it (script_error %q)", r.Seq, *r.BillMsec, dialtest.String(r, "script_error"))
		}
	}
	if a.Errors() != 0 {
		t.Errorf("%d script errors", a.Errors())
	}
}
