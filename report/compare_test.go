package report

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/internal/browsertest"
	"github.com/switchio/switchio/loadtest"
)

// twoRuns writes two synthetic runs, a baseline and a faster one with
// shorter calls, to dirs named before and after (or, with same, both
// named run in different parents).
func twoRuns(t *testing.T, same bool) []string {
	t.Helper()
	root := t.TempDir()
	names := []string{"before", "after"}
	if same {
		names = []string{filepath.Join("a", "run"), filepath.Join("b", "run")}
	}
	runs := []genRun{
		{calls: 1500, rate: 50, servers: 2, hold: 3 * time.Second},
		{calls: 1500, rate: 80, servers: 2, hold: 2 * time.Second},
	}
	var dirs []string
	for i, n := range names {
		d := filepath.Join(root, n)
		runs[i].write(t, d)
		dirs = append(dirs, d)
	}
	return dirs
}

// Compare writes one self-contained page with both runs' labels, the
// differences coloured, and every chart holding data of both runs; and
// one PNG per overlaid chart.
func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name   string
		same   bool
		opts   Options
		labels []string
		pngs   bool
	}{
		{"before and after", false, Options{}, []string{"before", "after"}, true},
		{"same base names: numbered ids, no PNG", true, Options{NoPNG: true}, []string{"gen (1)", "gen (2)"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dirs := twoRuns(t, tc.same)
			out := filepath.Join(t.TempDir(), "cmp")
			path, err := Compare(dirs, out, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if path != filepath.Join(out, File) {
				t.Fatalf("path %s", path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			page := string(b)
			for _, l := range tc.labels {
				for _, w := range []string{"<b>" + l + "</b>", `"label":"` + l + ` · offered"`, `<th class="run">` + l + "</th>"} {
					if !strings.Contains(page, w) {
						t.Errorf("page lacks %q", w)
					}
				}
			}
			for _, w := range []string{"<h2>Differences</h2>", "Δ " + tc.labels[1], "(baseline)", `class="run better"`,
				"seconds since the first offer", "call_setup_latency"} {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if m := regexp.MustCompile(`(?i)<(script|link|img|iframe)[^>]+(src|href)=`).FindString(page); m != "" {
				t.Errorf("page loads %s", m)
			}
			charts := regexp.MustCompile(`data-chart="([^"]+)" data-points="(\d+)" data-runs="(\d+)"`).FindAllStringSubmatch(page, -1)
			if len(charts) < 10 {
				t.Errorf("%d charts", len(charts))
			}
			for _, c := range charts {
				if c[2] == "0" || c[3] != "2" {
					t.Errorf("chart %s: %s points, %s runs with data", c[1], c[2], c[3])
				}
			}
			pngs, _ := filepath.Glob(filepath.Join(out, PlotsDir, "*.png"))
			want := 0
			if tc.pngs {
				want = len(charts)
			}
			if len(pngs) != want {
				t.Errorf("%d PNGs, want %d", len(pngs), want)
			}
			// The runs' own reports are left alone.
			for _, d := range dirs {
				if _, err := os.Stat(filepath.Join(d, File)); err == nil {
					t.Errorf("%s written", filepath.Join(d, File))
				}
			}
		})
	}
}

// Compare's errors are one line and name what is wrong.
func TestCompareErrors(t *testing.T) {
	run := t.TempDir()
	genRun{calls: 200, rate: 20, servers: 1, hold: time.Second}.write(t, run)
	for _, tc := range []struct {
		name string
		dirs []string
		out  string
		want string
	}{
		{"no run", nil, t.TempDir(), "no run to compare"},
		{"not a run", []string{run, t.TempDir()}, t.TempDir(), "no run"},
		{"into a run", []string{run, run}, run, "is a run compared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compare(tc.dirs, tc.out, Options{NoPNG: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err %v, want one line with %q", err, tc.want)
			}
		})
	}
}

func TestResample(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		xs, ys []float64
		grid   []float64
		want   []float64
	}{
		{"same grid", []float64{0, 1, 2}, []float64{5, 6, 7}, []float64{0, 1, 2}, []float64{5, 6, 7}},
		{"outside the span", []float64{1, 2}, []float64{5, 6}, []float64{0, 1, 2, 3}, []float64{nan, 5, 6, nan}},
		{"interpolated", []float64{0, 2}, []float64{0, 10}, []float64{0, 0.5, 2}, []float64{0, 2.5, 10}},
		{"gap kept", []float64{0, 1, 2}, []float64{1, nan, 3}, []float64{0, 0.5, 1, 1.5, 2}, []float64{1, nan, nan, nan, 3}},
		{"repeated x", []float64{0, 1, 1, 2}, []float64{1, 2, 4, 6}, []float64{0, 1, 1.5, 2}, []float64{1, 4, 5, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resample(tc.xs, tc.ys, tc.grid); !equalNaN(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDelta(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    figure
		v, b float64
		want deltaCell
	}{
		{"lower latency is better", figure{dir: lowerBetter, kind: "ms"}, 40, 50, deltaCell{"−10 ms", "−20 %", "better"}},
		{"higher latency is worse", figure{dir: lowerBetter, kind: "ms"}, 60, 50, deltaCell{"+10 ms", "+20 %", "worse"}},
		{"higher asr is better", figure{dir: higherBetter, kind: "ratio"}, 0.99, 0.9, deltaCell{"+9 pp", "+10 %", "better"}},
		{"neutral count", figure{dir: neutral, kind: "count"}, 1000, 3500, deltaCell{"−2,500", "−71.4 %", ""}},
		{"no change", figure{dir: higherBetter, kind: "rate"}, 5, 5, deltaCell{"0 calls/s", "0 %", ""}},
		{"zero baseline", figure{dir: lowerBetter, kind: "count"}, 3, 0, deltaCell{"+3", "–", "worse"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.delta(tc.v, tc.b); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The comparison renders offline in a headless browser, every chart with
// a legend entry of each run.
func TestCompareInBrowser(t *testing.T) {
	bin := browsertest.Chromium(t)
	dirs := twoRuns(t, false)
	path, err := Compare(dirs, filepath.Join(t.TempDir(), "cmp"), Options{NoPNG: true})
	if err != nil {
		t.Fatal(err)
	}
	inBrowser(t, bin, path, func(bctx context.Context) {
		charts := renderedCharts(t, bctx)
		if len(charts) < 10 {
			t.Errorf("%d charts on the page", len(charts))
		}
		for _, c := range charts {
			if c.Runs != "2" || !strings.Contains(c.Legend, "before") || !strings.Contains(c.Legend, "after") {
				t.Errorf("chart %s: %s runs with data, legend %q", c.ID, c.Runs, c.Legend)
			}
		}
	})
}

// smallFsemuRun dials n calls at rate over one emulated server into dir,
// measured as switchio dial --out does.
func smallFsemuRun(t *testing.T, dir string, n uint64, rate float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := fsemu.RunClusterT(t, 1, fsemu.Config{Inbound: fsemu.Inbound{Failures: []fsemu.Failure{{Share: 0.1, Cause: "USER_BUSY"}}}})
	pool, err := cluster.NewPool(ctx, []string{cl.Server(0).Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := loadtest.Start(ctx, pool, loadtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	o, err := dialer.New(ctx, pool, dialer.Config{Rate: rate, Limit: 1000, MaxOffered: n, Duration: 300 * time.Millisecond, OnCall: m.Call})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
		t.Fatal(err)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	m.Tick(o)
	o.Close()
	if _, err := m.Close(o); err != nil {
		t.Fatal(err)
	}
}

// A comparison of two fsemu runs renders with both runs' series.
func TestCompareFsemuRuns(t *testing.T) {
	root := t.TempDir()
	before, after := filepath.Join(root, "before"), filepath.Join(root, "after")
	smallFsemuRun(t, before, 150, 100)
	smallFsemuRun(t, after, 200, 150)
	path, err := Compare([]string{before, after}, filepath.Join(root, "cmp"), Options{NoPNG: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, w := range []string{"<b>before</b>", "<b>after</b>", "<h2>Differences</h2>", "Δ after"} {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	charts := regexp.MustCompile(`data-chart="([^"]+)" data-points="(\d+)" data-runs="(\d+)"`).FindAllStringSubmatch(page, -1)
	if len(charts) < 5 {
		t.Fatalf("%d charts", len(charts))
	}
	for _, c := range charts {
		if c[2] == "0" || c[3] != "2" {
			t.Errorf("chart %s: %s points, %s runs with data", c[1], c[2], c[3])
		}
	}
}
