package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

// Each call-testing app run from the CLI shows its verdict counts: in
// (DtmfChecker's gap is set so its 4 digits are due well within the 2 s
// hold: a call that ends before they are due is cut short, not failed)
// --json (metrics.verdicts, media_checked, media_failed) and in the text
// summary; impairments of the far end fail the checks they should.
func TestDialAppVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		app     string
		imp     fsemu.Impairments
		verdict string // a check verdict
		true_   uint64
		false_  uint64
	}{
		{"dtmf clean", "DtmfChecker/digits=1234,duration=60ms,delay=20ms,gap=20ms", fsemu.Impairments{}, "dtmf_ok", 6, 0},
		{"dtmf dropped", "DtmfChecker/digits=1234,duration=60ms,delay=20ms,gap=20ms", fsemu.Impairments{DTMFDrop: 1}, "dtmf_ok", 0, 6},
		{"tone recorded", "TonePlay/record=1", fsemu.Impairments{}, "audio_ok", 6, 0},
		{"tone lossy", "TonePlay/record=1", fsemu.Impairments{AudioLoss: 0.1}, "audio_ok", 0, 6},
		{"playrec", "PlayRec/iterations=2,rec_every=1", fsemu.Impairments{}, "audio_ok", 6, 0},
		{"mutedplayrec muted", "MutedPlayRec/iterations=2,rec_every=1", fsemu.Impairments{Mute: 1}, "audio_ok", 0, 6},
		{"bert", "Bert", fsemu.Impairments{}, "bert_ok", 6, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fsemu.RunT(t, fsemu.Config{Impairments: tc.imp})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			app := tc.app
			if strings.Contains(app, "record") || strings.Contains(app, "rec_") {
				app += ",dir=" + t.TempDir()
			}
			out, _, err := runRoot(ctx, "dial", srv.Addr(), "--app", app, "--max-offered", "6", "--rate", "20",
				"--duration", "2s", "--json")
			if err != nil {
				t.Fatal(err)
			}
			var sm struct {
				Offered uint64                 `json:"offered"`
				Metrics measure.MetricsSummary `json:"metrics"`
			}
			if err := json.Unmarshal([]byte(out.String()), &sm); err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			m := sm.Metrics
			v := m.Verdicts[tc.verdict]
			if sm.Offered != 6 || v.True != tc.true_ || v.False != tc.false_ || m.MediaChecked != 6 || m.MediaFailed != tc.false_ {
				t.Errorf("offered %d; %s %+v; media checked %d, failed %d", sm.Offered, tc.verdict, v, m.MediaChecked, m.MediaFailed)
			}
		})
	}
}

// The text summary lists the media checks and each verdict column.
func TestDialAppVerdictsText(t *testing.T) {
	srv := fsemu.RunT(t, fsemu.Config{Impairments: fsemu.Impairments{DTMFReorder: 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// 3 s: a burst's digits arrive spaced as on a real server (fsemu/dtmf.go)
	out, _, err := runRoot(ctx, "dial", srv.Addr(), "--app", "DtmfChecker/digits=1234,duration=60ms,delay=20ms,gap=20ms",
		"--max-offered", "4", "--rate", "20", "--duration", "3s")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"media: 4 checked, 4 failed (100.00%)", "verdict dtmf_ok: 0 true, 4 false",
		"verdict dtmf_in_order: 0 true, 4 false", "verdict dtmf_missing: 4 calls", "verdict dtmf_result: mismatch 4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// Recordings this host cannot read (the server writes them in dir, which
// is not mounted at readdir here) are not media failures: dial warns at
// start, each call's check is null and counted under "media not
// checked" with its reason. With no parameters PlayRec records and
// checks one call every 5 s.
func TestDialRecordingsNotReadable(t *testing.T) {
	srv := fsemu.RunT(t, fsemu.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	written, elsewhere := t.TempDir(), t.TempDir()
	out, errOut, err := runRoot(ctx, "dial", srv.Addr(), "--app", "PlayRec/iterations=2,rec_every=1,dir="+written+",readdir="+elsewhere,
		"--max-offered", "4", "--rate", "20", "--duration", "2s")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(errOut.String(), "recordings not readable here"); n != 1 {
		t.Errorf("warned %d times:\n%s", n, errOut)
	}
	for _, want := range []string{"media not checked: 4 (recordings not readable 4)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// only the RTP check (every call) is made: no audio check
	if strings.Contains(out.String(), "verdict audio_ok") || !strings.Contains(out.String(), "media: 4 checked, 0 failed") {
		t.Errorf("unreadable recordings counted as checked:\n%s", out)
	}

	out, errOut, err = runRoot(ctx, "dial", srv.Addr(), "--app", "PlayRec/iterations=2,dir="+t.TempDir(),
		"--max-offered", "4", "--rate", "20", "--duration", "2s")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "verdict audio_ok: 1 true, 0 false") || strings.Contains(errOut.String(), "not readable") {
		t.Errorf("default PlayRec: want one call checked in 4 offered in 0.2 s:\n%s\n%s", out, errOut)
	}
}
