package dialer

import (
	"strings"
	"testing"
	"time"
)

// Seconds of offering at the CPU limit make the summary name the
// controller as the limit; an idle process, or one busy only while not
// offering, does not.
func TestHostLoadNote(t *testing.T) {
	for _, tc := range []struct {
		name     string
		perSec   []float64 // cores used in each second
		offering bool
		want     bool
	}{
		{"idle", []float64{0.1, 0.2, 0.1, 0.1}, true, false},
		{"one busy second", []float64{0.1, 2, 0.1, 0.1}, true, false},
		{"busy while offering", []float64{1.9, 2, 1.95, 0.5}, true, true},
		{"busy after offering", []float64{2, 2, 2, 2}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hostLoad{cores: 2}
			cpu := time.Duration(0)
			now := time.Unix(1000, 0)
			// a first reading, through a fake CPU clock
			h.observe(now, cpu, false, 2)
			for _, c := range tc.perSec {
				now = now.Add(time.Second)
				cpu += time.Duration(c * float64(time.Second))
				h.observe(now, cpu, tc.offering, 2)
			}
			note := h.note()
			if (note != "") != tc.want {
				t.Fatalf("note %q, want one: %v", note, tc.want)
			}
			if tc.want && !strings.Contains(note, "controller was at its CPU limit") {
				t.Fatalf("note %q does not name the controller", note)
			}
		})
	}
}
