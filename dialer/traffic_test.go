package dialer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/appkit"
)

// simulate runs the pacer's schedule (nextDue, then the gap to the next
// call) on a virtual clock from start, offering each call exactly when it
// is due, until the load profile ends, n calls or the clock passes until;
// it returns the offer times in seconds from start.
func simulate(t *testing.T, o *Originator, start time.Time, n int, until time.Duration) []float64 {
	t.Helper()
	o.epoch = start.Add(-time.Second)
	o.state = Originating
	o.startedAt = time.Second
	if err := o.startSchedule(start); err != nil {
		t.Fatal(err)
	}
	var out []float64
	now := start
	for len(out) < n && now.Sub(start) < until {
		due, wait, over := o.nextDue(now)
		if over {
			break
		}
		if wait > 0 {
			now = now.Add(wait)
			continue
		}
		now = due
		if now.Sub(start) >= until {
			break
		}
		out = append(out, now.Sub(start).Seconds())
		if o.firstOffer == 0 {
			o.firstOffer = o.since(now)
			o.rebaseChanges()
		}
		o.offered++
		o.tr.next += o.tr.gap()
	}
	return out
}

func newSim(cfg Config) *Originator {
	if err := cfg.validate(); err != nil {
		panic(err)
	}
	cfg.setDefaults()
	o := &Originator{cfg: cfg, rate: cfg.Rate, limit: cfg.Limit, ramp: cfg.Ramp}
	o.tr = newTraffic(&cfg)
	o.duration, o.autoDuration = cfg.Duration, cfg.Duration <= 0
	o.recomputeDuration()
	return o
}

// gapStats returns the mean rate ((n-1) over the span) and the gaps'
// coefficient of variation.
func gapStats(ts []float64) (rate, cv float64) {
	n := len(ts) - 1
	mean := (ts[n] - ts[0]) / float64(n)
	var sq float64
	for i := 1; i < len(ts); i++ {
		d := ts[i] - ts[i-1] - mean
		sq += d * d
	}
	return 1 / mean, math.Sqrt(sq/float64(n)) / mean
}

// perSecond counts offers in each whole second.
func perSecond(ts []float64, secs int) []float64 {
	c := make([]float64, secs)
	for _, x := range ts {
		if i := int(x); i >= 0 && i < secs {
			c[i]++
		}
	}
	return c
}

// TestArrivalsConstantRate: over 200,000 calls at 1,000 calls/s the
// schedule's mean rate is the rate asked for, and the gaps' coefficient
// of variation is 0 for fixed arrivals and 1 for Poisson (exponential
// gaps: a third of them, e^-1, longer than the mean).
func TestArrivalsConstantRate(t *testing.T) {
	for _, tc := range []struct {
		arrivals       Arrivals
		cvLo, cvHi     float64
		rateTol, above float64
	}{
		{Fixed, 0, 1e-3, 1e-6, 0},
		{Poisson, 0.98, 1.02, 0.01, math.Exp(-1)},
	} {
		t.Run(tc.arrivals.String(), func(t *testing.T) {
			o := newSim(Config{Rate: 1000, Arrivals: tc.arrivals, Seed: 1})
			ts := simulate(t, o, time.Unix(1000, 0), 200000, time.Hour)
			rate, cv := gapStats(ts)
			t.Logf("%v: mean rate %.2f cps (%.3f%% off), gaps' CV %.4f", tc.arrivals, rate, 100*(rate/1000-1), cv)
			if math.Abs(rate/1000-1) > tc.rateTol {
				t.Errorf("mean rate %.2f, want 1000 within %.3f%%", rate, 100*tc.rateTol)
			}
			if cv < tc.cvLo || cv > tc.cvHi {
				t.Errorf("gaps' CV %.4f, want [%v, %v]", cv, tc.cvLo, tc.cvHi)
			}
			if tc.above > 0 {
				long := 0
				for i := 1; i < len(ts); i++ {
					if ts[i]-ts[i-1] > 1.0/1000 {
						long++
					}
				}
				if f := float64(long) / float64(len(ts)-1); math.Abs(f-tc.above) > 0.005 {
					t.Errorf("%.4f of the gaps above the mean, want e^-1 = %.4f", f, tc.above)
				}
			}
		})
	}
}

// expected returns the calls a piecewise-linear profile offers in each
// whole second, by integrating the rate numerically.
func expected(rate func(float64) float64, secs int) []float64 {
	out := make([]float64, secs)
	const steps = 10000
	for i := range out {
		for k := 0; k < steps; k++ {
			out[i] += rate(float64(i)+(float64(k)+0.5)/steps) / steps
		}
	}
	return out
}

// checkCounts compares per-second counts with the profile: within 1.5
// calls for fixed arrivals (a call may fall either side of a boundary),
// within 4.5 standard deviations of a Poisson count otherwise.
func checkCounts(t *testing.T, arrivals Arrivals, got, want []float64) {
	t.Helper()
	for i := range want {
		tol := 1.5
		if arrivals == Poisson {
			tol = 4.5*math.Sqrt(want[i]) + 1
		}
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("second %d: %v calls, want %.1f ± %.1f\ngot  %v\nwant %v", i, got[i], want[i], tol, got, want)
			return
		}
	}
}

// TestArrivalsFollowRamp: a ramp from 0 to 1,000 calls/s over 10 s
// gives per-second counts of its integral (50, 150 ... 950, then 1,000),
// for both arrival models: Poisson gaps are drawn in the integrated-rate
// domain.
func TestArrivalsFollowRamp(t *testing.T) {
	for _, arr := range []Arrivals{Fixed, Poisson} {
		t.Run(arr.String(), func(t *testing.T) {
			o := newSim(Config{Rate: 1000, Ramp: 10 * time.Second, Arrivals: arr, Seed: 2})
			ts := simulate(t, o, time.Unix(1000, 0), 1<<30, 14*time.Second)
			got := perSecond(ts, 14)
			want := expected(func(x float64) float64 { return 1000 * min(x/10, 1) }, 14)
			checkCounts(t, arr, got, want)
		})
	}
}

// TestStagesProfile: a k6-style profile (jump to 100, hold 2 s, ramp to
// 400 over 3 s, hold 1 s, ramp down to 0 over 2 s) gives per-second
// counts of its integral, ends after the last stage, and logs each
// stage's start at its time.
func TestStagesProfile(t *testing.T) {
	stages := []Stage{{0, 100}, {2 * time.Second, 100}, {3 * time.Second, 400}, {time.Second, 400}, {2 * time.Second, 0}}
	profile := func(x float64) float64 {
		switch {
		case x < 2:
			return 100
		case x < 5:
			return 100 + 300*(x-2)/3
		case x < 6:
			return 400
		case x < 8:
			return 400 * (8 - x) / 2
		}
		return 0
	}
	for _, arr := range []Arrivals{Fixed, Poisson} {
		t.Run(arr.String(), func(t *testing.T) {
			o := newSim(Config{Stages: stages, Arrivals: arr, Seed: 3, Limit: 100})
			ts := simulate(t, o, time.Unix(1000, 0), 1<<30, time.Hour)
			if last := ts[len(ts)-1]; last >= 8 {
				t.Fatalf("a call at %.3f s, after the profile's end at 8 s", last)
			}
			if o.tr.staged() {
				t.Fatal("the profile did not end")
			}
			checkCounts(t, arr, perSecond(ts, 8), expected(profile, 8))
			var got []string
			for i, c := range o.changes {
				got = append(got, c.Setting+"@"+time.Duration(o.changedAt[i]-time.Second).String())
			}
			want := "stage 1/5@0s stage 2/5@0s stage 3/5@2s stage 4/5@5s stage 5/5@6s stages@8s"
			if strings.Join(got, " ") != want {
				t.Fatalf("changes %v, want %s", got, want)
			}
			// The automatic hold follows the stages' targets, and never
			// divides by the last one's 0.
			if o.duration != 100*time.Second/400+o.cfg.AutoDurationOffset {
				t.Fatalf("automatic duration %v after the profile", o.duration)
			}
		})
	}
}

// TestStagesZeroRate: a stage at rate 0 offers no call, at its start
// or after; calls start with the first stage whose rate rises above 0.
func TestStagesZeroRate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stages []Stage
		want   []float64 // offer times, seconds
	}{
		{"one zero stage", []Stage{{3 * time.Second, 0}}, nil},
		{"jump to zero, hold", []Stage{{0, 0}, {3 * time.Second, 0}}, nil},
		{"zero then hold at 2", []Stage{{2 * time.Second, 0}, {0, 2}, {time.Second, 2}}, []float64{2, 2.5}},
		{"hold at 2 then zero", []Stage{{0, 2}, {time.Second, 2}, {0, 0}, {2 * time.Second, 0}}, []float64{0, 0.5}},
	} {
		for _, arr := range []Arrivals{Fixed, Poisson} {
			t.Run(tc.name+"/"+arr.String(), func(t *testing.T) {
				o := newSim(Config{Stages: tc.stages, Arrivals: arr, Seed: 5, Limit: 10})
				ts := simulate(t, o, time.Unix(1000, 0), 100, time.Hour)
				if arr == Poisson {
					// Poisson times are random: check only that none
					// falls in a zero-rate stretch.
					for _, x := range ts {
						if len(tc.want) == 0 || x < tc.want[0] || x >= tc.want[0]+1 {
							t.Fatalf("calls at %v, want none outside [%v, %v+1)", ts, tc.want, tc.want)
						}
					}
					return
				}
				if fmt.Sprint(ts) != fmt.Sprint(tc.want) {
					t.Fatalf("calls at %v s, want %v", ts, tc.want)
				}
			})
		}
	}
}

// TestPoissonRateChange: a rate change keeps the process Poisson: the
// counts before and after follow each rate and the gaps' CV stays 1.
func TestPoissonRateChange(t *testing.T) {
	o := newSim(Config{Rate: 500, Arrivals: Poisson, Seed: 4})
	start := time.Unix(1000, 0)
	before := simulate(t, o, start, 1<<30, 50*time.Second)
	at := start.Add(50 * time.Second)
	o.rate = 2000
	o.rebase(at, 0)
	var after []float64
	now := at
	for now.Before(start.Add(100 * time.Second)) {
		due, wait, _ := o.nextDue(now)
		if wait > 0 {
			t.Fatal("waiting at a constant rate")
		}
		now = due
		after = append(after, now.Sub(at).Seconds())
		o.tr.next += o.tr.gap()
	}
	r1, cv1 := gapStats(before)
	r2, cv2 := gapStats(after[:len(after)-1])
	t.Logf("500 cps: %.1f (CV %.3f); 2000 cps: %.1f (CV %.3f)", r1, cv1, r2, cv2)
	if math.Abs(r1/500-1) > 0.03 || math.Abs(r2/2000-1) > 0.02 || math.Abs(cv1-1) > 0.04 || math.Abs(cv2-1) > 0.03 {
		t.Fatalf("rates %.1f/%.1f, CVs %.3f/%.3f: want 500/2000 and 1", r1, r2, cv1, cv2)
	}
}

// TestHoldDistributions: 200,000 draws of each distribution have its
// mean (within 1 %), its coefficient of variation, and stay within
// [1 ms, MaxHold].
func TestHoldDistributions(t *testing.T) {
	for _, tc := range []struct {
		spec string
		mean time.Duration
		cv   float64
	}{
		{"exp:2m", 2 * time.Minute, 1},
		{"uniform:30s-90s", time.Minute, 60 / math.Sqrt(12) / 60},
		{"lognormal:1m,0.5", time.Duration(60 * math.Exp(0.125) * float64(time.Second)), math.Sqrt(math.Exp(0.25) - 1)},
		{"exp:50ms", 50 * time.Millisecond, 1},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			h, err := ParseHoldDist(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := ParseHoldDist(h.String()); err != nil || back != h {
				t.Errorf("String %q does not parse back: %+v, %v", h, back, err)
			}
			if d := h.MeanHold() - tc.mean; d > time.Millisecond || d < -time.Millisecond {
				t.Errorf("MeanHold %v, want %v", h.MeanHold(), tc.mean)
			}
			tr := newTraffic(&Config{HoldDist: h, Seed: 5})
			const n = 200000
			var sum, sq float64
			for i := 0; i < n; i++ {
				d := tr.hold.draw(tr.holdRand, time.Hour)
				if d < minHold || d > h.MaxHold() {
					t.Fatalf("draw %v outside [%v, %v]", d, minHold, h.MaxHold())
				}
				s := d.Seconds()
				sum += s
				sq += s * s
			}
			mean := sum / n
			cv := math.Sqrt(sq/n-mean*mean) / mean
			t.Logf("%s: mean %.4g s (%.3f%% off), CV %.4f (want %.4f)", tc.spec, mean, 100*(mean/tc.mean.Seconds()-1), cv, tc.cv)
			if math.Abs(mean/tc.mean.Seconds()-1) > 0.01 {
				t.Errorf("mean %.4g s, want %v within 1%%", mean, tc.mean)
			}
			if math.Abs(cv-tc.cv) > 0.02 {
				t.Errorf("CV %.4f, want %.4f", cv, tc.cv)
			}
		})
	}
	// Fixed draws nothing: every call gets the duration.
	tr := newTraffic(&Config{Seed: 5})
	if d := tr.hold.draw(tr.holdRand, 3*time.Second); d != 3*time.Second {
		t.Fatalf("fixed hold %v", d)
	}
}

func TestParseHoldDist(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want HoldDist
		err  string
	}{
		{"fixed", HoldDist{}, ""},
		{"exp:2m", HoldDist{Kind: HoldExp, Mean: 2 * time.Minute}, ""},
		{"exp:90", HoldDist{Kind: HoldExp, Mean: 90 * time.Second}, ""},
		{"uniform:30s-90s", HoldDist{Kind: HoldUniform, Min: 30 * time.Second, Max: 90 * time.Second}, ""},
		{"uniform:30-30", HoldDist{Kind: HoldUniform, Min: 30 * time.Second, Max: 30 * time.Second}, ""},
		{"lognormal:1m,0.5", HoldDist{Kind: HoldLognormal, Median: time.Minute, Sigma: 0.5}, ""},
		{"gamma:1m", HoldDist{}, "want fixed, exp"},
		{"fixed:30s", HoldDist{}, "the hold is the duration"},
		{"exp:", HoldDist{}, "exp:MEAN"},
		{"exp:0", HoldDist{}, "mean must be positive"},
		{"exp:-1s", HoldDist{}, "exp:MEAN"},
		{"exp:NaN", HoldDist{}, "exp:MEAN"},
		{"exp:Inf", HoldDist{}, "exp:MEAN"},
		{"exp:1000000000", HoldDist{}, "above the limit"},
		{"uniform:90s-30s", HoldDist{}, "min 1m30s is above max 30s"},
		{"uniform:30s", HoldDist{}, "MIN-MAX"},
		{"uniform:0-0", HoldDist{}, "bounds must be positive"},
		{"lognormal:1m", HoldDist{}, "MEDIAN,SIGMA"},
		{"lognormal:1m,-1", HoldDist{}, "sigma"},
		{"lognormal:1m,NaN", HoldDist{}, "sigma"},
		{"lognormal:0,0.5", HoldDist{}, "median must be positive"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseHoldDist(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v, want one line with %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseStages(t *testing.T) {
	for _, tc := range []struct {
		in  []string
		err string
	}{
		{[]string{"1m:10", "5m:60", "1m:0"}, ""},
		{[]string{"0:10", "30:10"}, ""},
		{[]string{"1m"}, "DURATION:RATE"},
		{[]string{"1m:-1"}, "want a rate from 0"},
		{[]string{"1m:NaN"}, "want a rate from 0"},
		{[]string{"1m:Inf"}, "want a rate from 0"},
		{[]string{"1m:1e300"}, "want a rate from 0"},
		{[]string{"1m:1000001"}, "want a rate from 0"},
		{[]string{"1m:1e6"}, ""},
		{[]string{"-1m:10"}, "duration"},
		{[]string{"1m:10", "0:20"}, "zero duration"},
		{[]string{"0:10", "0:20", "1m:20"}, "zero duration"},
	} {
		t.Run(strings.Join(tc.in, " "), func(t *testing.T) {
			var st []Stage
			var err error
			for _, s := range tc.in {
				var x Stage
				if x, err = ParseStage(s); err != nil {
					break
				}
				st = append(st, x)
			}
			if err == nil {
				err = CheckStages(st)
			}
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
	if _, err := ParseArrivals("gaussian"); err == nil {
		t.Fatal("unknown arrivals accepted")
	}
	for _, cfg := range []Config{
		{Stages: []Stage{{time.Second, 10}}, Rate: 5},
		{Stages: []Stage{{time.Second, 10}}, Ramp: time.Second},
		{Rate: math.NaN()},
		{Rate: 1e300},
		{Rate: MaxRate * 1.5},
		{Stages: []Stage{{time.Second, 2 * MaxRate}}},
		{Arrivals: 7},
		{HoldDist: HoldDist{Kind: HoldUniform, Min: 2, Max: 1}},
	} {
		if err := cfg.validate(); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// TestSeedRepeats: one seed gives the same arrivals and holds; the
// arrival stream does not depend on the hold distribution; seed 0 draws
// a seed.
func TestSeedRepeats(t *testing.T) {
	draw := func(cfg Config) (gaps []float64, holds []time.Duration) {
		tr := newTraffic(&cfg)
		for i := 0; i < 100; i++ {
			gaps = append(gaps, tr.gap())
			holds = append(holds, tr.hold.draw(tr.holdRand, time.Second))
		}
		return gaps, holds
	}
	exp := HoldDist{Kind: HoldExp, Mean: time.Second}
	g1, h1 := draw(Config{Arrivals: Poisson, HoldDist: exp, Seed: 42})
	g2, h2 := draw(Config{Arrivals: Poisson, HoldDist: exp, Seed: 42})
	g3, _ := draw(Config{Arrivals: Poisson, Seed: 42})
	g4, h4 := draw(Config{Arrivals: Poisson, HoldDist: exp, Seed: 43})
	for i := range g1 {
		if g1[i] != g2[i] || h1[i] != h2[i] || g1[i] != g3[i] {
			t.Fatalf("draw %d differs with the same seed", i)
		}
	}
	if g1[0] == g4[0] && h1[0] == h4[0] {
		t.Fatal("seeds 42 and 43 draw alike")
	}
	if tr := newTraffic(&Config{}); tr.seed == 0 {
		t.Fatal("seed 0 not replaced by a random one")
	}
}

// TestGuardUsesCallHold: the server-side guard is set from each call's
// own hold (plus Margin), and a clipped draw keeps it bounded.
func TestGuardUsesCallHold(t *testing.T) {
	o := &Originator{cfg: Config{Margin: 2 * time.Second, OriginateTimeout: time.Minute}}
	s := &server{dest: "switchio@127.0.0.1"}
	g := &appGroup{id: "d-app", header: "app"}
	for _, tc := range []struct {
		hold time.Duration
		want string
	}{
		{37 * time.Second, "sched_hangup +39 "},
		{1500 * time.Millisecond, "sched_hangup +4 "},
		{HoldDist{Kind: HoldExp, Mean: time.Minute}.MaxHold(), "sched_hangup +602 "},
	} {
		cmd, err := o.command(s, &call{uuid: "u", srv: s, app: g, hold: tc.hold})
		if err != nil || !strings.Contains(cmd, tc.want) {
			t.Errorf("hold %v: %q (%v), want %q", tc.hold, cmd, err, tc.want)
		}
	}
}

// ShareBelow is the share of drawn holds shorter than d: the
// distribution's CDF, 1 past its clip; appkit.Load.ShareBelow falls back on
// the fixed hold. The draws agree with it.
func TestHoldDistShareBelow(t *testing.T) {
	for _, tc := range []struct {
		dist string
		d    time.Duration
		want float64
	}{
		{"fixed", 5 * time.Second, 0},
		{"exp:2s", 2 * time.Second, 1 - math.Exp(-1)},
		{"exp:2s", 7500 * time.Millisecond, 1 - math.Exp(-3.75)},
		{"exp:2s", 21 * time.Second, 1}, // past the clip (20 s)
		{"uniform:1s-2s", 1430 * time.Millisecond, 0.43},
		{"uniform:1s-2s", 500 * time.Millisecond, 0},
		{"uniform:1s-2s", 3 * time.Second, 1},
		{"uniform:2s-2s", 3 * time.Second, 1},
		{"lognormal:4s,0.5", 4 * time.Second, 0.5},
		{"lognormal:4s,0", 3 * time.Second, 0},
		{"lognormal:4s,0", 5 * time.Second, 1},
	} {
		h, err := ParseHoldDist(tc.dist)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.ShareBelow(tc.d); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s below %v: %v, want %v", tc.dist, tc.d, got, tc.want)
		}
		if h.Kind == HoldFixed || tc.want == 0 || tc.want == 1 {
			continue
		}
		r := rand.New(rand.NewPCG(1, 2))
		n, below := 20000, 0
		for range n {
			if h.draw(r, 0) < tc.d {
				below++
			}
		}
		if got := float64(below) / float64(n); math.Abs(got-tc.want) > 0.02 {
			t.Errorf("%s: %.3f of draws below %v, want %.3f", tc.dist, got, tc.d, tc.want)
		}
	}
	for _, tc := range []struct {
		load appkit.Load
		d    time.Duration
		want float64
	}{
		{appkit.Load{Hold: 5 * time.Second}, 7 * time.Second, 1},
		{appkit.Load{Hold: 8 * time.Second}, 7 * time.Second, 0},
		{appkit.Load{}, 7 * time.Second, 0}, // no hold: never hung up
		{appkit.Load{Hold: 2 * time.Second, Dist: HoldDist{Kind: HoldUniform, Min: time.Second, Max: 3 * time.Second}}, 2 * time.Second, 0.5},
	} {
		if got := tc.load.ShareBelow(tc.d); got != tc.want {
			t.Errorf("%+v below %v: %v, want %v", tc.load, tc.d, got, tc.want)
		}
	}
}
