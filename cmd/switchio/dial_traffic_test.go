package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// The traffic model's flags map onto the dialer's configuration, and the
// conflicts are refused: --stage with --rate or --ramp, --duration with a
// hold distribution.
func TestDialTrafficFlags(t *testing.T) {
	base := dialOpts{rate: 50, limit: 100, maxOffered: 200, duration: 2 * time.Second, timeout: time.Minute,
		statusInterval: time.Second, serverTimeout: time.Second, arrivals: "fixed", durationDist: "fixed"}
	for _, tc := range []struct {
		name    string
		edit    func(*dialOpts)
		changed []string
		check   func(dialer.Config) bool
		err     string
	}{
		{"defaults", func(*dialOpts) {}, nil, func(c dialer.Config) bool {
			return c.Arrivals == dialer.Fixed && c.HoldDist.Kind == dialer.HoldFixed && c.Rate == 50 && c.Stages == nil && c.Seed == 0
		}, ""},
		{"poisson exp seed", func(o *dialOpts) { o.arrivals, o.durationDist, o.seed = "poisson", "exp:2m", 42 }, nil, func(c dialer.Config) bool {
			return c.Arrivals == dialer.Poisson && c.HoldDist == dialer.HoldDist{Kind: dialer.HoldExp, Mean: 2 * time.Minute} && c.Seed == 42
		}, ""},
		{"stages end the run", func(o *dialOpts) { o.stages = []string{"1m:10", "5m:60", "1m:0"} }, nil, func(c dialer.Config) bool {
			return len(c.Stages) == 3 && c.Stages[1] == dialer.Stage{Duration: 5 * time.Minute, Rate: 60} && c.Rate == 0 && c.MaxOffered == 0
		}, ""},
		{"stages with max offered", func(o *dialOpts) { o.stages = []string{"0:10", "1m:10"} }, []string{"max-offered"}, func(c dialer.Config) bool {
			return c.MaxOffered == 200
		}, ""},
		{"stages with rate", func(o *dialOpts) { o.stages = []string{"1m:10"} }, []string{"rate"}, nil, "--rate cannot be given"},
		{"stages with ramp", func(o *dialOpts) { o.stages, o.ramp = []string{"1m:10"}, time.Second }, nil, nil, "--ramp cannot be given"},
		{"dist with duration", func(o *dialOpts) { o.durationDist = "exp:1m" }, []string{"duration"}, nil, "--duration cannot be given"},
		{"fixed dist with duration", func(o *dialOpts) { o.durationDist = "fixed" }, []string{"duration"}, func(c dialer.Config) bool {
			return c.Duration == 2*time.Second
		}, ""},
		{"unknown arrivals", func(o *dialOpts) { o.arrivals = "bursty" }, nil, nil, "--arrivals"},
		{"unknown dist", func(o *dialOpts) { o.durationDist = "gamma:1m" }, nil, nil, "--duration-dist"},
		{"uniform reversed", func(o *dialOpts) { o.durationDist = "uniform:90s-30s" }, nil, nil, "above max"},
		{"last stage zero", func(o *dialOpts) { o.stages = []string{"1m:10", "0:0"} }, nil, nil, "zero duration"},
		{"stage NaN", func(o *dialOpts) { o.stages = []string{"1m:NaN"} }, nil, nil, "--stage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			set := map[string]bool{}
			for _, f := range tc.changed {
				set[f] = true
			}
			o.changed = func(name string) bool { return set[name] }
			cfg, _, err := buildConfig(o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v, want one line with %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.check(cfg) {
				t.Fatalf("config %+v, %v", cfg, err)
			}
		})
	}
}

// Bad traffic-model values are refused before anything starts: exit 1,
// one line naming the flag, no call placed.
func TestDialBadTrafficFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)
	srv := fsemu.RunT(t, fsemu.Config{})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"arrivals unknown", []string{"--arrivals", "gaussian"}, "--arrivals"},
		{"dist unknown", []string{"--duration-dist", "pareto:1m"}, "--duration-dist"},
		{"dist NaN", []string{"--duration-dist", "exp:NaN"}, "--duration-dist"},
		{"dist negative", []string{"--duration-dist", "exp:-3s"}, "--duration-dist"},
		{"uniform min above max", []string{"--duration-dist", "uniform:90s-30s"}, "above max"},
		{"lognormal negative sigma", []string{"--duration-dist", "lognormal:1m,-0.5"}, "sigma"},
		{"dist with duration", []string{"--duration-dist", "exp:1m", "--duration", "30s"}, "--duration"},
		{"stage NaN rate", []string{"--stage", "1m:NaN"}, "--stage"},
		{"stage negative rate", []string{"--stage", "1m:-5"}, "--stage"},
		{"stage negative duration", []string{"--stage", "-1m:5"}, "--stage"},
		{"stage zero duration last", []string{"--stage", "1m:5", "--stage", "0:10"}, "--stage"},
		{"stage with rate", []string{"--stage", "1m:5", "--rate", "10"}, "--rate"},
		{"stage with ramp", []string{"--stage", "1m:5", "--ramp", "10s"}, "--ramp"},
		{"seed not a number", []string{"--seed", "abc"}, "seed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectRefused(t, bin, srv, srv.Addr(), tc.args, tc.want)
		})
	}
	// A staged Poisson run with random holds ends after its last stage
	// (not at the default --max-offered) and prints its seed.
	cmd := exec.Command(bin, "dial", "--arrivals", "poisson", "--duration-dist", "uniform:50ms-150ms",
		"--stage", "0:150", "--stage", "1s:150", "--seed", "7", srv.Addr())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("staged run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "seed 7") || !strings.Contains(string(out), "poisson arrivals, holds uniform:50ms-150ms") {
		t.Fatalf("summary without the traffic model and seed:\n%s", out)
	}
	// The summary shows the stages, not the rate the profile ended at.
	if !strings.Contains(string(out), "rate: stages 0s:150 1s:150, peak 150.00 cps, offered") || strings.Contains(string(out), "target") {
		t.Fatalf("summary without the stages:\n%s", out)
	}
}

// The summary's rate shows the target, or the stages of a load profile
// and its peak, and the target set by hand that took one over.
func TestTargetText(t *testing.T) {
	abandoned := []summary.Change{{AtS: 12.5, Setting: "stages", Value: "abandoned (by rate)"}}
	for _, tc := range []struct {
		name string
		sm   summary.Run
		want string
	}{
		{"rate", summary.Run{TargetRate: 50}, "target 50.00 cps"},
		{"stages ending at 0", summary.Run{Stages: []string{"0s:10", "30s:10", "10s:0"}},
			"stages 0s:10 30s:10 10s:0, peak 10.00 cps"},
		{"stages taken over", summary.Run{TargetRate: 7, Stages: []string{"1m0s:20"}, Changes: abandoned},
			"stages 1m0s:20, peak 20.00 cps, then target 7.00 cps (profile abandoned (by rate) at 12.5 s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := targetText(tc.sm); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
