package report

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/internal/version"
	"github.com/switchio/switchio/measure"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Build writes one self-contained page (nothing loaded from elsewhere,
// every chart with data) and one PNG per chart, for closed runs with and
// without a summary.
func TestBuild(t *testing.T) {
	for _, tc := range []struct {
		name    string
		run     genRun
		opts    Options
		want    []string // in the page
		charts  int
		pngs    bool
		summary bool
	}{
		{"summary", genRun{calls: 3000, rate: 50, servers: 2, hold: 5 * time.Second}, Options{},
			[]string{"switchio report · gen", "USER_BUSY", "NO_ANSWER", "call_setup_latency", "10.0.0.2:8021", "switchio " + version.String(), "TonePlay",
				"Thresholds</h3>", "✗ asr&gt;=0.99", "✓ p99(call_setup_latency)&lt;10s", "Settings changed during the run", "rate = 80"}, 14, true, true},
		{"verdicts", genRun{calls: 1000, rate: 50, servers: 1, hold: time.Second, verdicts: true}, Options{NoPNG: true},
			[]string{"Media checks</h3>", "<code>dtmf_ok</code>", "<code>dtmf_missing</code>", "media_failed", "checked", "Media checks per second"}, 15, false, true},
		{"no summary, no PNG", genRun{calls: 500, rate: 20, servers: 1, hold: time.Second, noSummary: true}, Options{NoPNG: true, Version: "v9.9.9"},
			[]string{"no summary.json", "switchio v9.9.9"}, 14, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.run.write(t, dir)
			path, err := Build(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if path != filepath.Join(dir, File) {
				t.Fatalf("path %s", path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			page := string(b)
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			// Nothing to fetch: no external script, style, image or link.
			if m := regexp.MustCompile(`(?i)<(script|link|img|iframe)[^>]+(src|href)=`).FindString(page); m != "" {
				t.Errorf("page loads %s", m)
			}
			if n := strings.Count(page, `data-chart="`); n != tc.charts {
				t.Errorf("%d charts, want %d", n, tc.charts)
			}
			if regexp.MustCompile(`data-points="0"`).MatchString(page) {
				t.Error("a chart without points")
			}
			if got := strings.Contains(page, "Latencies</h3>"); got != tc.summary {
				t.Errorf("latency table shown %v, want %v", got, tc.summary)
			}
			pngs, _ := filepath.Glob(filepath.Join(dir, PlotsDir, "*.png"))
			want := 0
			if tc.pngs {
				want = tc.charts
			}
			if len(pngs) != want {
				t.Errorf("%d PNGs, want %d", len(pngs), want)
			}
			for _, p := range pngs {
				b, err := os.ReadFile(p)
				if err != nil || len(b) < 1000 || string(b[1:4]) != "PNG" {
					t.Errorf("%s: %d bytes, %v", p, len(b), err)
				}
			}
		})
	}
}

// A directory without a run is an error that names it.
func TestBuildNoRun(t *testing.T) {
	dir := t.TempDir()
	if _, err := Build(dir, Options{}); err == nil || !strings.Contains(err.Error(), "no run") {
		t.Fatalf("err %v", err)
	}
}

// Series are bounded by MaxPoints however long the run.
func TestBuildBounded(t *testing.T) {
	dir := t.TempDir()
	genRun{calls: 5000, rate: 20, servers: 3, hold: 2 * time.Second}.write(t, dir)
	const maxPoints = 100
	if _, err := Build(dir, Options{MaxPoints: maxPoints, NoPNG: true}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	i := strings.Index(page, "const charts = ")
	j := strings.Index(page[i:], ";\n")
	var charts []struct {
		ID     string
		Xs     []*float64
		Series []struct{ Values []*float64 }
	}
	if err := json.Unmarshal([]byte(page[i+len("const charts = "):i+j]), &charts); err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		if len(c.Xs) > maxPoints || len(c.Xs) == 0 {
			t.Errorf("%s: %d points", c.ID, len(c.Xs))
		}
		for _, s := range c.Series {
			if len(s.Values) != len(c.Xs) {
				t.Errorf("%s: %d values for %d x", c.ID, len(s.Values), len(c.Xs))
			}
		}
	}
}

func TestMinMax(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name      string
		xs        []float64
		ys        []float64
		maxPoints int
		wantX     []float64
		wantY     []float64
	}{
		{"short: unchanged", []float64{1, 2, 3}, []float64{5, 6, 7}, 4, []float64{1, 2, 3}, []float64{5, 6, 7}},
		{"spike kept", []float64{0, 1, 2, 3, 4, 5, 6, 7}, []float64{1, 1, 9, 1, 1, 1, 1, 1}, 4,
			[]float64{0, 3, 4, 7}, []float64{1, 9, 1, 1}},
		{"order of max then min", []float64{0, 1, 2, 3}, []float64{5, 0, 3, 3}, 2, []float64{0, 3}, []float64{5, 0}},
		{"gap bucket", []float64{0, 1, 2, 3}, []float64{nan, nan, 2, 4}, 2 * 1, []float64{0, 3}, []float64{2, 4}},
		{"all gaps", []float64{0, 1, 2, 3, 4, 5}, []float64{nan, nan, nan, nan, 1, 2}, 4, []float64{0, 2, 3, 5}, []float64{nan, nan, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := minMax(tc.xs, [][]float64{tc.ys}, tc.maxPoints)
			if !slices.Equal(x, tc.wantX) || !equalNaN(y[0], tc.wantY) {
				t.Fatalf("got %v %v, want %v %v", x, y[0], tc.wantX, tc.wantY)
			}
		})
	}
}

func equalNaN(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
}

func TestIndexBuckets(t *testing.T) {
	for _, tc := range []struct {
		name          string
		maxBuckets    int
		seqs          []int64
		wantWidth     int64
		wantLo, wantM []float64
		wantHi        []float64
	}{
		{"one per call", 4, []int64{0, 1, 2, 3}, 1, []float64{0, 1, 2, 3}, []float64{0, 1, 2, 3}, []float64{0, 1, 2, 3}},
		{"halved once", 4, []int64{0, 1, 2, 3, 4, 5, 6, 7}, 2, []float64{0, 2, 4, 6}, []float64{0.5, 2.5, 4.5, 6.5}, []float64{1, 3, 5, 7}},
		{"out of order", 2, []int64{3, 0, 2, 1}, 2, []float64{0, 2}, []float64{0.5, 2.5}, []float64{1, 3}},
		{"halved twice", 2, []int64{0, 1, 2, 3, 4, 5, 6, 7}, 4, []float64{0, 4}, []float64{1.5, 5.5}, []float64{3, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ib := newIndexBuckets(1, tc.maxBuckets)
			for _, s := range tc.seqs {
				ib.add(s, 0, float64(s))
			}
			lo, m, hi := ib.series(0)
			if ib.width != tc.wantWidth || !slices.Equal(lo, tc.wantLo) || !slices.Equal(m, tc.wantM) || !slices.Equal(hi, tc.wantHi) {
				t.Fatalf("width %d: %v %v %v", ib.width, lo, m, hi)
			}
		})
	}
}

// The load chart's failed_calls only rises: records are written as calls
// end, failed calls before the answered ones offered earlier, and each
// carries the failures counted so far, so over the offer index the count
// would saw-tooth.
func TestFailedCallsRise(t *testing.T) {
	for _, tc := range []struct {
		name      string
		calls     int
		maxPoints int
	}{
		{"one call per point", 30, 100},
		{"buckets", 300, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every third call fails at once; the others end after a
			// 2 s hold: the records come in the order the calls end.
			type ended struct {
				at time.Time
				r  measure.Record
			}
			var calls []ended
			for i := range tc.calls {
				at := genStart.Add(time.Duration(i) * 100 * time.Millisecond)
				r := measure.Record{Seq: int64(i), Outcome: "completed", CallerCreate: at}
				end := at.Add(2 * time.Second)
				if i%3 == 0 {
					r.Outcome, end = "failed", at.Add(10*time.Millisecond)
				}
				calls = append(calls, ended{end, r})
			}
			slices.SortStableFunc(calls, func(a, b ended) int { return a.at.Compare(b.at) })
			c := newCollector(Options{MaxPoints: tc.maxPoints})
			var failed int64
			for _, e := range calls {
				if e.r.Outcome == "failed" {
					failed++
				}
				e.r.FailedCalls = failed
				c.record(&e.r)
			}
			var got []float64
			for _, ch := range c.indexCharts() {
				for _, s := range ch.Series {
					if strings.HasPrefix(s.Label, "failed_calls") {
						got = s.Values
					}
				}
			}
			if len(got) == 0 {
				t.Fatal("no failed_calls series")
			}
			for i := 1; i < len(got); i++ {
				if got[i] < got[i-1] {
					t.Fatalf("failed_calls falls from %v to %v at point %d: %v", got[i-1], got[i], i, got)
				}
			}
			if last := got[len(got)-1]; last != float64(failed) {
				t.Fatalf("failed_calls ends at %v, want %d", last, failed)
			}
		})
	}
}

func TestNumsJSON(t *testing.T) {
	for _, tc := range []struct {
		in   nums
		want string
	}{
		{nums{}, "[]"},
		{nums{1741944600, 0, -3}, "[1741944600,0,-3]"},
		{nums{math.NaN(), 1.23456789, 0.000123456789}, "[null,1.23457,0.000123457]"},
		{nums{math.Inf(1)}, "[null]"},
	} {
		b, err := json.Marshal(tc.in)
		if err != nil || string(b) != tc.want {
			t.Errorf("%v: %s, %v; want %s", tc.in, b, err, tc.want)
		}
	}
}

func TestFmtNum(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{{0, "0"}, {1234, "1234"}, {123.456, "123"}, {28.623, "28.6"}, {5.0149, "5.01"}, {0.05, "0.05"}, {math.NaN(), "–"}, {2.5, "2.5"}} {
		if got := fmtNum(tc.in); got != tc.want {
			t.Errorf("fmtNum(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTargetOverTime(t *testing.T) {
	staged := &summary.Run{StartRate: 0, Changes: []summary.Change{
		{AtS: -0.5, Setting: "stage 1/3", Value: "40 cps over 2s"},
		{AtS: 1.5, Setting: "stage 2/3", Value: "40 cps over 2s"},
		{AtS: 3.5, Setting: "stage 3/3", Value: "0 cps over 1s"},
		{AtS: 4.5, Setting: "stages", Value: "done"},
	}}
	changed := &summary.Run{StartRate: 50, Changes: []summary.Change{{AtS: 10, Setting: "rate", Value: "80"}, {AtS: 12, Setting: "limit", Value: "5"}}}
	for _, tc := range []struct {
		sm   *summary.Run
		at   float64
		want float64
	}{
		{staged, 0.5, 20}, // halfway up the first ramp
		{staged, 1.5, 40},
		{staged, 3, 40},
		{staged, 4, 20}, // halfway down
		{changed, 5, 50},
		{changed, 11, 80},
	} {
		f := targetOverTime(tc.sm)
		if got := f(tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("target at %v s: %v, want %v", tc.at, got, tc.want)
		}
	}
	if f := targetOverTime(staged); !math.IsNaN(f(5)) {
		t.Errorf("target after the stages: %v, want none", f(5))
	}
	if targetOverTime(&summary.Run{TargetRate: 30}) != nil {
		t.Error("a run without rate changes has a constant target")
	}
}
