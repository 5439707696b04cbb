package audiocheck

import (
	"errors"
	"testing"
	"time"

	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// A call's audio verdicts combine its recorded legs: audio_ok only when
// every leg is good, dropouts summed, the quietest level; a recording
// that cannot be read fails the check with its reason.
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
		{"unreadable", []legResult{{leg: "callee", err: errors.New("open x.wav: no such file")}}, false, false, 0, 0, "callee: open x.wav: no such file"},
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
