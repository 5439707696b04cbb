package tone_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/apps/tone"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTonePlay(t *testing.T) {
	n := fsemu.NewNetwork()
	s1 := fsemu.RunT(t, fsemu.Config{Network: n})
	s2 := fsemu.RunT(t, fsemu.Config{Network: n})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := cluster.NewPool(ctx, []string{s1.Addr(), s2.Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var mu sync.Mutex
	ran := map[string]string{} // direction -> "app(arg)" executed
	for _, c := range pool.Clients() {
		c.Observe(func(ev *cluster.Event) {
			if ev.Key == "CHANNEL_EXECUTE" && ev.Session != nil && ev.Get("Application") != "park" {
				mu.Lock()
				ran[ev.Session.Direction()] = ev.Get("Application") + "(" + ev.Get("Application-Data") + ")"
				mu.Unlock()
			}
		})
	}
	if err := pool.Subscribe(ctx, "CHANNEL_EXECUTE"); err != nil {
		t.Fatal(err)
	}
	a, err := apps.Builtin().New("TonePlay/freq=440")
	if err != nil {
		t.Fatal(err)
	}
	if err := appkit.NewManager(pool).Load(ctx, "tone", appkit.Shared(a)); err != nil {
		t.Fatal(err)
	}
	call, err := appkit.SyncCall(ctx, pool.Clients()[0], originate.Request{Dest: "1000@" + s2.SIPAddr()}, "tone",
		func(c *cluster.Call) bool { return c.Len() == 2 && c.Last().Answered() })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"inbound":  "echo()",
		"outbound": "playback({loops=-1}tone_stream://%(251,0,440))",
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		ok := ran["inbound"] == want["inbound"] && ran["outbound"] == want["outbound"]
		got := map[string]string{"inbound": ran["inbound"], "outbound": ran["outbound"]}
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("executed %v, want %v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = call.Hangup(ctx, "")
}

func TestTonePlayFreqChecked(t *testing.T) {
	for _, f := range []int{0, -1, 20001} {
		err := (&tone.TonePlay{Freq: f}).Setup(context.Background(), nil)
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("freq %d: %v", f, err)
		}
	}
	if got := (&tone.TonePlay{Freq: 1004}).ToneStream(); got != "tone_stream://%(251,0,1004)" {
		t.Errorf("ToneStream %q", got)
	}
}
