package players_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/apps/players"
	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The players end their calls themselves after their plays (completed,
// not dropped, whatever the dialer's hold) and check the recordings: on
// a clean server the test signal is heard in order on both legs; a far
// end that sends nothing (Mute) fails the check.
func TestPlayers(t *testing.T) {
	clip := audio.TestSignal().Duration()
	for _, tc := range []struct {
		name, spec string
		imp        fsemu.Impairments
		ok         bool
		reason     string
	}{
		{"PlayRec clean", "PlayRec/iterations=3,rec_every=1", fsemu.Impairments{}, true, ""},
		{"PlayRec muted far end", "PlayRec/iterations=3,rec_every=1", fsemu.Impairments{Mute: 1}, false, ""},
		// 20% of what each leg hears lost in 100 ms bursts: more than
		// max_gap wherever it falls in what a leg hears
		{"PlayRec lossy far end", "PlayRec/iterations=3,rec_every=1", fsemu.Impairments{AudioLoss: 0.2, LossBurst: 100 * time.Millisecond}, false, ""},
		{"MutedPlayRec clean", "MutedPlayRec/iterations=2,rec_every=1", fsemu.Impairments{}, true, ""},
		{"MutedPlayRec muted far end", "MutedPlayRec/iterations=2,rec_every=1", fsemu.Impairments{Mute: 1}, false, "silent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: tc.spec + ",dir=" + t.TempDir(), Calls: 3, Hold: 500 * time.Millisecond,
				Server: fsemu.Config{Impairments: tc.imp}})
			for _, r := range res.Records {
				if r.Outcome != "completed" {
					t.Errorf("call %s: %s %s, want completed by the app", r.CallID, r.Outcome, r.HangupCause)
				}
				if held := r.CallerHangup.Sub(r.CallerAnswer); held < 2*clip-200*time.Millisecond {
					t.Errorf("call %s held %v, want at least two plays of %v", r.CallID, held, clip)
				}
				ok, set := dialtest.Bool(r, audiocheck.VerdictAudioOK)
				reason := dialtest.String(r, audiocheck.VerdictReason)
				if !set || ok != tc.ok || !strings.Contains(reason, tc.reason) {
					t.Errorf("call %s: audio_ok %v (set %v), reason %q", r.CallID, ok, set, reason)
				}
				if seq, _ := dialtest.Bool(r, audiocheck.VerdictSequence); tc.ok && !seq {
					t.Errorf("call %s: sequence_ok false", r.CallID)
				}
			}
			if m := res.Summary.Metrics; m.MediaChecked != 3 {
				t.Errorf("media checked %d, want 3", m.MediaChecked)
			}
		})
	}
}

// PlayRec's RecInfo names the server and both legs' files; kept files
// are in the recordings verdict and hold the test signal.
func TestPlayRecRecInfo(t *testing.T) {
	var mu sync.Mutex
	var infos []players.RecInfo
	dir := t.TempDir()
	p := &players.PlayRec{Player: players.Player{Iterations: 2, RecEvery: 2, Dir: dir, Keep: true}, MaxGap: 150 * time.Millisecond,
		OnRecInfo: func(i players.RecInfo) { mu.Lock(); infos = append(infos, i); mu.Unlock() }}
	res := dialtest.Run(t, dialtest.Options{App: p, Calls: 4, Hold: time.Second})
	mu.Lock()
	defer mu.Unlock()
	if len(infos) != 2 {
		t.Fatalf("%d RecInfos, want 2 (one call in 2 of 4)", len(infos))
	}
	for _, i := range infos {
		if i.Host != res.Server.Addr() || !strings.HasSuffix(i.Caller, "-caller.wav") || !strings.HasSuffix(i.Callee, "-callee.wav") {
			t.Errorf("RecInfo %+v", i)
		}
		for _, f := range []string{i.Caller, i.Callee} {
			clip, err := audio.ReadWAV(f)
			if err != nil {
				t.Fatal(err)
			}
			if a := audio.Analyze(clip, audio.Expect{Signal: audio.TestSignal(), MaxGap: 150 * time.Millisecond}); !a.SequenceOK {
				t.Errorf("%s: %+v", f, a)
			}
		}
	}
	kept := 0
	for _, r := range res.Records {
		if f := dialtest.String(r, audiocheck.VerdictRecordings); f != "" {
			kept++
			if len(strings.Fields(f)) != 2 || !strings.HasPrefix(f, dir) {
				t.Errorf("recordings %q", f)
			}
		}
	}
	if kept != 2 {
		t.Errorf("%d records name their recordings, want 2", kept)
	}
}

// A call with its legs on two servers is checked as one: each leg's
// recording stops on its own server (seen by the app's instance there)
// and the call's verdicts come from both.
func TestPlayRecAcrossServers(t *testing.T) {
	res := dialtest.Run(t, dialtest.Options{Spec: "PlayRec/iterations=2,rec_every=1,keep=true,dir=" + t.TempDir(),
		Calls: 4, Hold: time.Second, Cross: true})
	for _, r := range res.Records {
		if r.CalleeServer == "" || r.CalleeServer == r.Server {
			t.Fatalf("call %s on %s and %q: not across servers", r.CallID, r.Server, r.CalleeServer)
		}
		ok, set := dialtest.Bool(r, audiocheck.VerdictAudioOK)
		files := strings.Fields(dialtest.String(r, audiocheck.VerdictRecordings))
		if !set || !ok || len(files) != 2 {
			t.Errorf("call %s: audio_ok %v (set %v), recordings %v", r.CallID, ok, set, files)
		}
	}
	if m := res.Summary.Metrics; m.MediaChecked != 4 || m.MediaFailed != 0 {
		t.Errorf("media checked %d, failed %d", m.MediaChecked, m.MediaFailed)
	}
}
