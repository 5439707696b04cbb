package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/switchio/switchio/dialer"
)

// In a headless browser with the network off, the page updates while the
// run goes, draws its charts, and setting the rate in it changes the
// run's rate (with the token the page was served with), logged in the
// change log.
func TestPageInBrowser(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (apt-get install chromium): skipping the browser test")
	}
	o, _ := newDialer(t, 2, dialer.Config{Rate: 20, Limit: 100, Duration: 500 * time.Millisecond})
	s := serve(t, o)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addr() + "/"

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		// No network but the server: other hosts resolve to nothing and
		// any proxied request goes to a closed port (loopback addresses
		// bypass proxies).
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1400),
	)
	defer acancel()

	var mu sync.Mutex
	var problems, requests []string
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console."+string(e.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, fmt.Sprintf("exception: %s %s", e.ExceptionDetails.Text, e.ExceptionDetails.Exception.Description))
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				problems = append(problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		}
	}
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(listen))
	defer bcancel()
	enable := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, runtime.Enable, cdp.Empty{}); err != nil {
			return chromedp.Void{}, err
		}
		if _, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(bctx, enable, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`body[data-updates]`))); err != nil {
		t.Fatal(err)
	}

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
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
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

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	for _, r := range requests {
		if !strings.HasPrefix(r, base) {
			t.Errorf("request to %s", r)
		}
	}
	t.Logf("%d requests", len(requests))
}
