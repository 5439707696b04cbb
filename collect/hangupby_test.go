package collect

import (
	"testing"

	"github.com/switchio/switchio/measure"
)

func TestHangupBy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		f        measure.Facts
		observed string
		want     string
	}{
		{"switchio's hang-up after the hold", measure.Facts{Outcome: "completed", Cause: "NORMAL_CLEARING"}, "switchio", "switchio"},
		{"the guard", measure.Facts{Outcome: "completed", Cause: "ALLOTTED_TIMEOUT"}, "switchio", "server"},
		// --server-hangup: the server's sched_hangup sends the BYE with
		// NORMAL_CLEARING (send_bye, as switchio's own hang-up does).
		{"server hang-up", measure.Facts{Outcome: "completed", Cause: "NORMAL_CLEARING", HangupBy: "server"}, "switchio", "server"},
		{"abandoned", measure.Facts{Outcome: "abandoned", Cause: "SWITCHIO_DRAIN_TIMEOUT"}, "", "switchio"},
		{"dropped", measure.Facts{Outcome: "dropped", Cause: "NORMAL_CLEARING"}, "far_end", "far_end"},
		{"failed", measure.Facts{Outcome: "failed", Cause: "USER_BUSY"}, "far_end", "far_end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := hangupBy(tc.f, tc.observed); got != tc.want {
				t.Fatalf("hung up by %q, want %q", got, tc.want)
			}
		})
	}
}
