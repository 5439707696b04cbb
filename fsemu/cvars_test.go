package fsemu

import (
	"math"
	"testing"
)

// TestAtol: C's atol as glibc's strtol(s, NULL, 10) reads it.
func TestAtol(t *testing.T) {
	cases := []struct {
		in   string
		want int64
	}{
		{"2", 2},
		{"2.9974470138549805", 2},
		{"  \t+17abc", 17},
		{"-3", -3},
		{"-", 0},
		{"", 0},
		{"x5", 0},
		{"0x10", 0},
		{"9223372036854775807", math.MaxInt64},
		{"9223372036854775808", math.MaxInt64},
		{"-9223372036854775808", math.MinInt64},
		{"-99999999999999999999", math.MinInt64},
	}
	for _, c := range cases {
		if got := atol(c.in); got != c.want {
			t.Errorf("atol(%q) = %d, want %d", c.in, got, c.want)
		}
	}
	if got := atoi("4294967297"); got != 1 {
		t.Errorf("atoi keeps the low 32 bits: got %d, want 1", got)
	}
}

// TestSwitchTrue: switch_true (src/include/switch_utils.h) with
// switch_is_number (src/switch_utils.c).
func TestSwitchTrue(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"yes", true}, {"YES", true}, {"on", true}, {"true", true}, {"t", true},
		{"enabled", true}, {"active", true}, {"Allow", true},
		{"1", true}, {"-1", true}, {"+2", true}, {"1.5", true}, {"10", true},
		{"", false}, {"0", false}, {"0.5", false}, {"no", false}, {"false", false},
		{"y", false}, {"1x", false}, {"on ", false}, {"+", false}, {".", false},
	}
	for _, c := range cases {
		if got := switchTrue(c.in); got != c.want {
			t.Errorf("switchTrue(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
