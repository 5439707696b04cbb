package main

import (
	"context"
	"strings"
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

// --help shows a duration flag's default once, and no "(default 0s)":
// a usage that states the default in use (emulate --hold-cost "(default
// 3.4ms)", whose flag is 0 for "the model's") or what 0 means is not
// followed by pflag's own.
func TestHelpDefaults(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want string // a line that must stay
	}{
		{"emulate", "CPU time per held call per second (default 3.4ms)\n"},
		{"emulate", "far end rings (180, no media) this long first\n"},
		{"emulate", "length of one --audio-loss burst (default 100ms)\n"},
		{"dial", "(0: none)\n"},
		{"dial", "hold time from answer, e.g. 2s or 30 (seconds) (0: --limit/--rate + 5s) (default 2s)\n"},
	} {
		t.Run(tc.cmd+" "+tc.want, func(t *testing.T) {
			out, _, err := runRoot(context.Background(), tc.cmd, "--help")
			if err != nil {
				t.Fatal(err)
			}
			for l := range strings.Lines(out.String()) {
				if strings.Count(l, "(default ") > 1 || strings.Contains(l, "(default 0s)") {
					t.Errorf("default shown twice or as 0s: %s", l)
				}
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("help without %q:\n%s", tc.want, out)
			}
		})
	}
}
