package dtmf

import (
	"testing"
	"time"
)

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name, sent, rx, ms string
		result             string
		missing            int
		inOrder            bool
		minMs, maxMs       int
		durOK              bool
	}{
		{"all", "1234", "1234", "200,200,200,200", ResultOK, 0, true, 200, 200, true},
		{"dropped", "1234", "124", "200,200,200", ResultIncomplete, 1, true, 200, 200, true},
		{"swapped", "1234", "1324", "200,200,200,200", ResultMismatch, 0, false, 200, 200, true},
		{"wrong digit", "1234", "1244", "200,200,200,200", ResultMismatch, 1, false, 200, 200, true},
		{"none", "1234", "", "", ResultIncomplete, 4, true, -1, -1, false},
		{"short digit", "12", "12", "200,100", ResultOK, 0, true, 100, 200, false},
		{"rounded up a packet", "12", "12", "220,220", ResultOK, 0, true, 220, 220, true},
		{"extra digits", "12", "123", "200,200,200", ResultMismatch, 0, false, 200, 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(tc.sent, tc.rx, tc.ms, 200*time.Millisecond)
			if c.Result != tc.result || c.Missing != tc.missing || c.InOrder != tc.inOrder ||
				c.MinMs != tc.minMs || c.MaxMs != tc.maxMs || c.DurationOK != tc.durOK {
				t.Errorf("Compare(%q, %q, %q) = %+v", tc.sent, tc.rx, tc.ms, c)
			}
		})
	}
}

// FreeSWITCH reports at least its min_dtmf_duration (400 samples, 50 ms):
// a 20 ms digit arriving as 50 ms is within tolerance.
func TestCompareMinimumDuration(t *testing.T) {
	if c := Compare("1", "1", "50", 20*time.Millisecond); !c.DurationOK {
		t.Errorf("%+v", c)
	}
}
