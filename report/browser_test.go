package report

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/internal/browsertest"
	"github.com/switchio/switchio/loadtest"
)

// ScreenshotEnv names a file TestReportInBrowser writes its screenshot
// to (docs/report.png), besides the test's temporary directory.
const screenshotEnv = "SWITCHIO_REPORT_SCREENSHOT"

// fsemuRun runs a measured dial against two emulated servers with the
// capacity model (each sets up ~80 calls/s, offered 200/s: they
// saturate and set-up latency climbs) and 20% of calls failing with
// USER_BUSY, into dir.
func fsemuRun(t *testing.T, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl := fsemu.RunClusterT(t, 2, fsemu.Config{
		Capacity: &fsemu.Capacity{Cores: 1, SetupCost: 12 * time.Millisecond},
		Inbound:  fsemu.Inbound{Failures: []fsemu.Failure{{Share: 0.2, Cause: "USER_BUSY"}}},
	})
	pool, err := cluster.NewPool(ctx, []string{cl.Server(0).Addr(), cl.Server(1).Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := loadtest.Start(ctx, pool, loadtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	o, err := dialer.New(ctx, pool, dialer.Config{Rate: 200, Limit: 1000, MaxOffered: 1200, Duration: 2 * time.Second, OnCall: m.Call})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err != nil {
		t.Fatal(err)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				m.Tick(o)
			}
		}
	})
	for o.Wait(ctx) != nil {
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
	}
	close(done)
	wg.Wait()
	m.Tick(o)
	o.Close()
	if _, err := m.Close(o); err != nil {
		t.Fatal(err)
	}
}

// The report of an emulated run renders in a headless browser from a
// file:// URL with the network off: no console error or exception, no
// request but the page itself, and every chart drawn with data.
func TestReportInBrowser(t *testing.T) {
	bin := browsertest.Chromium(t)
	dir := t.TempDir()
	fsemuRun(t, dir)
	path, err := Build(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inBrowser(t, bin, path, func(bctx context.Context) {
		charts := renderedCharts(t, bctx)
		if len(charts) < 10 {
			t.Errorf("%d charts on the page: %+v", len(charts), charts)
		}
		shot, err := chromedp.Run(bctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			// The summary and the first charts, at 60%: small enough for
			// the docs.
			beyond := true
			r, err := cdp.Call(ctx, tg, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{Format: cdppage.CaptureScreenshotFormatPng,
				CaptureBeyondViewport: &beyond, Clip: &cdppage.Viewport{Width: 1280, Height: 2500, Scale: 0.6}})
			return r.Data, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "screenshot.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
		if out := os.Getenv(screenshotEnv); out != "" {
			if err := os.WriteFile(out, shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%d charts, screenshot %d bytes", len(charts), len(shot))
	})
}

// chartState is a chart element's state once the page has run.
type chartState struct {
	ID       string `json:"id"`
	Rendered string `json:"rendered"`
	Points   int    `json:"points"`
	Canvas   bool   `json:"canvas"`
	// Legend is the chart's legend text.
	Legend string `json:"legend"`
	// Runs is data-runs (comparisons: runs with data in the chart).
	Runs string `json:"runs"`
}

// renderedCharts reads every chart's state, and fails the test for a
// chart not drawn, without a canvas or without points.
func renderedCharts(t *testing.T, bctx context.Context) []chartState {
	t.Helper()
	charts, err := chromedp.Run(bctx, chromedp.Evaluate[[]chartState](`[...document.querySelectorAll("[data-chart]")].map(e => ({
		id: e.dataset.chart, rendered: e.dataset.rendered, points: +e.dataset.points, canvas: !!e.querySelector("canvas"),
		legend: (e.querySelector(".u-legend") || {}).textContent || "", runs: e.dataset.runs || ""}))`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		if c.Rendered != "1" || c.Points == 0 || !c.Canvas {
			t.Errorf("chart %s: rendered %q, %d points, canvas %v", c.ID, c.Rendered, c.Points, c.Canvas)
		}
	}
	return charts
}

// inBrowser opens the page at path in headless chromium from a file://
// URL with the network off, runs check once it has drawn its charts,
// then fails the test for any console error, exception or request but
// the page itself.
func inBrowser(t *testing.T, bin, path string, check func(bctx context.Context)) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	browsertest.Open(t, bin, pageURL, browsertest.Options{Ready: `body[data-charts]`}, check)
}
