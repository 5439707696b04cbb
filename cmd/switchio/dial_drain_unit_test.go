package main

import (
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/dialer"
)

// fakeDrainer is a run's calls as endDrain sees them.
type fakeDrainer struct {
	hold   time.Duration
	endsBy time.Time // zero: no call in flight
}

func (f fakeDrainer) MaxHold() time.Duration { return f.hold }
func (f fakeDrainer) EndsBy() (time.Time, bool) {
	return f.endsBy, !f.endsBy.IsZero()
}

func TestEndDrain(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		drain time.Duration
		calls fakeDrainer
		want  time.Duration // after now
	}{
		{"--drain given", 3 * time.Second, fakeDrainer{2 * time.Second, now.Add(time.Minute)}, 3 * time.Second},
		{"no call in flight", 0, fakeDrainer{hold: 2 * time.Second}, 7 * time.Second},
		// A call answered as offering stopped: its hold, then the hold and 5 s.
		{"answered calls", 0, fakeDrainer{2 * time.Second, now.Add(2 * time.Second)}, 9 * time.Second},
		// A call offered as offering stopped, ringing: the default 60 s
		// originate timeout, its 2 s hold, then 2 s and 5 s more.
		{"ringing calls", 0, fakeDrainer{2 * time.Second, now.Add(62 * time.Second)}, 69 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := dialOpts{drain: tc.drain}
			if got := o.endDrain(now, tc.calls).Sub(now); got != tc.want {
				t.Fatalf("drain ends %v after offering stopped, want %v", got, tc.want)
			}
		})
	}
}

func TestDrainNote(t *testing.T) {
	sm := func(abandoned, drained uint64) summary.Run {
		return summary.Run{Abandoned: abandoned, FailedByCause: map[string]uint64{dialer.CauseDrainTimeout: drained, "USER_BUSY": 4}}
	}
	for _, tc := range []struct {
		name          string
		before, after summary.Run
		want          string
	}{
		{"ringing", sm(0, 0), sm(0, 10), "hung up 0 answered calls (abandoned) and 10 calls still in set-up (failed)"},
		{"both", sm(3, 1), sm(5, 2), "hung up 2 answered calls (abandoned) and 1 call still in set-up (failed)"},
		{"answered", sm(0, 0), sm(1, 0), "hung up 1 answered call (abandoned) and 0 calls still in set-up (failed)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := drainNote(tc.before, tc.after)
			if !strings.Contains(got, tc.want) || !strings.Contains(got, dialer.CauseDrainTimeout) {
				t.Fatalf("note %q, want %q under %s", got, tc.want, dialer.CauseDrainTimeout)
			}
		})
	}
}
