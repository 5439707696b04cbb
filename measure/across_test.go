package measure

import (
	"testing"
	"time"
)

func TestAcrossServers(t *testing.T) {
	offsets := map[string]ClockOffset{"a": {OffsetMs: 2}, "b": {OffsetMs: -3.5}}
	for _, tc := range []struct {
		name, server, callee string
		span, want           time.Duration
		ok                   bool
	}{
		{"one server", "a", "a", 10 * time.Millisecond, 10 * time.Millisecond, true},
		{"callee unknown", "a", "", 10 * time.Millisecond, 10 * time.Millisecond, true},
		// b's clock reads 5.5 ms ahead of a's (time + offset is switchio's):
		// a span from a's time to b's is 5.5 ms too long
		{"two servers", "a", "b", 10 * time.Millisecond, 4500 * time.Microsecond, true},
		{"the other way", "b", "a", 10 * time.Millisecond, 15500 * time.Microsecond, true},
		{"offset unknown", "a", "c", 10 * time.Millisecond, 0, false},
	} {
		got, ok := AcrossServers(offsets, tc.server, tc.callee, tc.span)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
