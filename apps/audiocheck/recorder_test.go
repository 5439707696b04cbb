package audiocheck

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// A call's audio verdicts combine its recorded legs: audio_ok only when
// every leg is good, dropouts summed, the quietest level; a recording
// that cannot be decoded fails the check with its reason.
func TestWriteVerdicts(t *testing.T) {
	good := audio.Analysis{OK: true, SequenceOK: true, LevelDBFS: -13.04, ToneHz: 1004}
	lossy := audio.Analysis{Dropouts: 2, LongestGap: 120 * time.Millisecond, LevelDBFS: -14, ToneHz: 1002, Reason: "2 dropouts, longest 120 ms"}
	for _, tc := range []struct {
		name     string
		legs     []legResult
		ok, seq  bool
		dropouts int64
		level    float64
		reason   string
	}{
		{"both good", []legResult{{leg: "caller", a: good}, {leg: "callee", a: good}}, true, true, 0, -13, ""},
		{"one lossy", []legResult{{leg: "caller", a: good}, {leg: "callee", a: lossy}}, false, false, 2, -14, "callee: 2 dropouts, longest 120 ms"},
		{"not a recording", []legResult{{leg: "callee", err: errors.New("wav: not a RIFF file")}}, false, false, 0, 0, "callee: wav: not a RIFF file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &cluster.Call{}
			writeVerdicts(c, tc.legs, false, true)
			v, pending := measure.ReadVerdicts(c, Verdicts())
			if pending {
				t.Fatal("verdicts still pending")
			}
			if *v[VerdictAudioOK].Bool != tc.ok || *v[VerdictSequence].Bool != tc.seq ||
				*v[VerdictDropouts].Int != tc.dropouts || *v[VerdictReason].String != tc.reason {
				t.Errorf("audio_ok %v, sequence_ok %v, dropouts %d, reason %q", *v[VerdictAudioOK].Bool, *v[VerdictSequence].Bool,
					*v[VerdictDropouts].Int, *v[VerdictReason].String)
			}
			if *v[VerdictLevel].Float != tc.level {
				t.Errorf("level %v, want %v", *v[VerdictLevel].Float, tc.level)
			}
			if _, named := v[VerdictRecordings]; named {
				t.Error("recordings named though not kept")
			}
		})
	}
}

// Pick with Period records the first call, then the first call Period or
// more after the last one picked (switchio's rec_period), on the
// Recorder's clock; Every, when set, wins.
func TestPickPeriod(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &Recorder{Period: 5 * time.Second, Now: func() time.Time { return now }}
	var picked []int
	for s := 0; s <= 21; s++ { // one call a second for 22 s
		if r.Pick() {
			picked = append(picked, s)
		}
		now = now.Add(time.Second)
	}
	if want := []int{0, 5, 10, 15, 20}; !slices.Equal(picked, want) {
		t.Errorf("picked the calls at %v s, want %v", picked, want)
	}
	every := &Recorder{Every: 3, Period: time.Hour}
	n := 0
	for range 9 {
		if every.Pick() {
			n++
		}
	}
	if n != 3 {
		t.Errorf("Every 3 picked %d of 9", n)
	}
	if (&Recorder{}).Pick() || (&Recorder{}).Enabled() {
		t.Error("a zero Recorder records")
	}
}

// A recording that is not there on this host (the server writes it
// elsewhere) leaves the call's check null and says why in
// media_unchecked: not a media failure.
func TestRecordingNotVisible(t *testing.T) {
	dir := t.TempDir()
	r := &Recorder{Dir: dir, ReadDir: dir}
	res := r.check("callee", filepath.Join(dir, "elsewhere.wav"))
	if !res.unreadable {
		t.Fatalf("%+v: not marked unreadable", res)
	}
	c := &cluster.Call{}
	writeVerdicts(c, []legResult{{leg: "caller", a: audio.Analysis{OK: true}}, res}, false, true)
	v, pending := measure.ReadVerdicts(c, Verdicts())
	if pending {
		t.Fatal("verdicts still pending")
	}
	if _, set := v[VerdictAudioOK]; set {
		t.Errorf("audio_ok set: %v", *v[VerdictAudioOK].Bool)
	}
	if u := v[measure.VerdictUnchecked]; u.String == nil || *u.String != ReasonUnreadable {
		t.Errorf("media_unchecked %+v", u)
	}
}
