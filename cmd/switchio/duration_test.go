package main

import (
	"testing"
	"time"
)

func TestParseSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "30", want: 30 * time.Second},
		{in: "2.5", want: 2500 * time.Millisecond},
		{in: "0", want: 0},
		{in: "30s", want: 30 * time.Second},
		{in: "1m", want: time.Minute},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: " 2 ", want: 2 * time.Second},
		{in: "-1", bad: true},
		{in: "-1s", bad: true},
		{in: "NaN", bad: true},
		{in: "Inf", bad: true},
		{in: "+Inf", bad: true},
		{in: "1e300", bad: true},
		{in: "", bad: true},
		{in: "ten", bad: true},
		{in: "5 s", bad: true},
	} {
		got, err := parseSeconds(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseSeconds(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
