package dialer

import (
	"testing"
	"time"
)

// ScheduleTimes returns the offer times, in seconds from the start, that
// the schedule gives cfg's first n calls when the pacer is never late:
// what a live run of the same seed aims at.
func ScheduleTimes(t *testing.T, cfg Config, n int) []float64 {
	return simulate(t, newSim(cfg), time.Unix(1000, 0), n, 1000*time.Hour)
}
