package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/internal/browsertest"
)

// In a headless browser with the network off, the page updates while the
// run goes, draws its charts, and setting the rate in it changes the
// run's rate (with the token the page was served with), logged in the
// change log.
func TestPageInBrowser(t *testing.T) {
	bin := browsertest.Chromium(t)
	o, _ := newDialer(t, 2, dialer.Config{Rate: 20, Limit: 100, Duration: 500 * time.Millisecond})
	s := serve(t, o)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addr() + "/"
	opts := browsertest.Options{Ready: `body[data-updates]`, Loopback: true, Width: 1280, Height: 1400, Timeout: 30 * time.Second,
		Allowed: func(u string) bool { return strings.HasPrefix(u, base) }}
	browsertest.Open(t, bin, base, opts, func(bctx context.Context) { checkPage(t, bctx, o) })
}

// checkPage checks the live view in the browser: its figures update, its
// charts draw, and setting the rate in it changes the run's.
func checkPage(t *testing.T, bctx context.Context, o *dialer.Originator) {
	// A figure changes between two reads (the run offers 20 calls/s).
	offered := func() string {
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("offered").textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := offered()
	if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](`document.getElementById("offered").textContent !== `+fmt.Sprintf("%q", first), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("offered stuck at %q: %v", first, err)
	}
	// The charts are drawn with points.
	if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll(".chart canvas").length === 3`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("charts: %v", err)
	}

	// Set the rate in the page.
	if err := chromedp.Do(bctx,
		chromedp.SetValue(chromedp.ID("in-rate"), ""),
		chromedp.SendKeys(chromedp.ID("in-rate"), "12.5"),
		chromedp.Click(chromedp.ID("set-rate")),
	); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(bctx, 10*time.Second)
	defer wcancel()
	if err := o.WaitWhile(wctx, func(st dialer.Stats) bool { return st.Rate != 12.5 }); err != nil {
		t.Fatalf("rate %v after setting 12.5 in the page: %v", o.Stats().Rate, err)
	}
	found := false
	for _, c := range o.Summary().Changes {
		found = found || c.Setting == "rate" && c.Value == "12.5"
	}
	if !found {
		t.Errorf("change log %+v without rate 12.5", o.Summary().Changes)
	}
	// The page shows it in its change log.
	if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](`document.getElementById("changes").textContent.includes("rate = 12.5")`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("page change log: %v", err)
	}

	// SWITCHIO_WEB_SCREENSHOT=path saves the page as a PNG (the README's
	// picture of the live view is made so).
	if path := os.Getenv("SWITCHIO_WEB_SCREENSHOT"); path != "" {
		buf, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}

}
