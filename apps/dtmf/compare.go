package dtmf

import (
	"strconv"
	"strings"
	"time"
)

// Comparison is a DTMF check's result: the digits received against the
// ones sent.
type Comparison struct {
	// Result is ResultOK, ResultMismatch or ResultIncomplete.
	Result   string
	Received string
	// Missing counts the digits sent that never arrived (as a multiset:
	// "1234" received as "1244" misses one).
	Missing int
	// InOrder is true when the digits received came in the order sent
	// (they are a subsequence of it): a lost digit keeps the order, a
	// swapped pair breaks it.
	InOrder bool
	// MinMs and MaxMs are the received durations' range (-1: none known);
	// DurationOK is true when each is within DurationTolerance of the
	// duration sent.
	MinMs, MaxMs int
	DurationOK   bool
}

// Compare checks received (in arrival order) against sent; durations is
// the received digits' durations in ms, comma separated.
func Compare(sent, received, durations string, want time.Duration) Comparison {
	c := Comparison{Received: received, MinMs: -1, MaxMs: -1}
	switch {
	case received == sent:
		c.Result = ResultOK
	case len(received) >= len(sent):
		c.Result = ResultMismatch
	default:
		c.Result = ResultIncomplete
	}
	left := map[rune]int{}
	for _, r := range sent {
		left[r]++
	}
	for _, r := range received {
		if left[r] > 0 {
			left[r]--
		}
	}
	for _, n := range left {
		c.Missing += n
	}
	c.InOrder = isSubsequence(received, sent)
	if durations != "" {
		c.DurationOK = true
		wantMs := int(want / time.Millisecond)
		for _, f := range strings.Split(durations, ",") {
			ms, err := strconv.Atoi(f)
			if err != nil || ms < 0 {
				continue
			}
			if c.MinMs < 0 || ms < c.MinMs {
				c.MinMs = ms
			}
			if ms > c.MaxMs {
				c.MaxMs = ms
			}
			// FreeSWITCH reports at least 50 ms and whole packets.
			floor := max(wantMs, 50)
			if ms < floor-int(DurationTolerance/time.Millisecond) || ms > floor+int(DurationTolerance/time.Millisecond) {
				c.DurationOK = false
			}
		}
	}
	return c
}

// isSubsequence reports whether a's characters appear in b in order.
func isSubsequence(a, b string) bool {
	i := 0
	for j := 0; i < len(a) && j < len(b); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}
