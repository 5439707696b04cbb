package fsemu

import (
	"math"
	"strings"
)

// FreeSWITCH is C: it reads numbers in command arguments with atoi/atol
// and booleans in channel variables with switch_true. The helpers here do
// the same, so the emulator accepts (and misreads) exactly what FreeSWITCH
// does: "sched_hangup +2.99 <uuid>" waits 2 s, "bert_hangup_on_error=yes"
// is true, "1.5" is a true boolean and "0.5" a false one.

// atol is C's atol (glibc strtol, base 10): leading white space, an
// optional sign, then as many decimal digits as follow; anything else ends
// the number, and no digits give 0. Out of range values saturate, as
// strtol does.
func atol(s string) int64 {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var n uint64
	over := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n > (math.MaxInt64+1)/10 {
			over = true
			continue
		}
		n = n*10 + uint64(s[i]-'0')
		if n > math.MaxInt64+1 {
			over = true
		}
	}
	switch {
	case over && neg:
		return math.MinInt64
	case over:
		return math.MaxInt64
	case neg:
		return -int64(n)
	case n > math.MaxInt64:
		return math.MaxInt64
	}
	return int64(n)
}

// atoi is C's atoi: glibc's (int) strtol, so it reads like atol and keeps
// the low 32 bits.
func atoi(s string) int {
	return int(int32(atol(s)))
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// switchTrue is switch_true (src/include/switch_utils.h): "yes", "on",
// "true", "t", "enabled", "active" and "allow" in any case, or a number
// (switch_is_number: an optional sign, then only digits and dots) whose
// atoi is not zero. Everything else, "" included, is false.
func switchTrue(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "on", "true", "t", "enabled", "active", "allow":
		return true
	}
	return isCNumber(v) && atoi(v) != 0
}

// isCNumber is switch_is_number (src/switch_utils.c): after an optional
// leading sign only digits and dots (the empty string counts).
func isCNumber(v string) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
