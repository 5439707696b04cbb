// Package browsertest opens switchio's pages (the report, the live view)
// in headless chromium for tests, with the network off, and fails the
// test for any console error, exception or request the page should not
// make.
package browsertest

import (
	"context"
	"fmt"
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
)

// Chromium returns the headless browser's path; the test is skipped
// (saying why) when it is not installed.
func Chromium(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (apt-get install chromium): skipping the browser test")
	}
	return bin
}

// Options tune Open.
type Options struct {
	// Ready is a CSS selector to wait for before the check.
	Ready string
	// Allowed reports whether the page may request url (default: only
	// the page's own URL).
	Allowed func(url string) bool
	// Loopback lets the page reach 127.0.0.1 (a served page); otherwise
	// no host resolves at all.
	Loopback bool
	// Width and Height size the window (default 1280 x 1600).
	Width, Height int
	// Timeout bounds the whole visit (default 2 minutes).
	Timeout time.Duration
}

// Open loads pageURL in headless chromium (bin), waits for o.Ready, runs
// check, then fails t for each console error, exception, error log entry
// and request not allowed.
func Open(t testing.TB, bin, pageURL string, o Options, check func(bctx context.Context)) {
	t.Helper()
	if o.Width == 0 {
		o.Width, o.Height = 1280, 1600
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Allowed == nil {
		o.Allowed = func(u string) bool { return u == pageURL }
	}
	// No network: other hosts resolve to nothing and any proxied request
	// goes to a closed port (loopback addresses bypass proxies).
	rules := "MAP * ~NOTFOUND"
	if o.Loopback {
		rules += ", EXCLUDE 127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("host-resolver-rules", rules),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(o.Width, o.Height),
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
	actions := []chromedp.Action[chromedp.Void]{enable, chromedp.Navigate(pageURL)}
	if o.Ready != "" {
		actions = append(actions, chromedp.WaitVisible(o.Ready))
	}
	if err := chromedp.Do(bctx, actions...); err != nil {
		t.Fatal(err)
	}
	check(bctx)
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	for _, r := range requests {
		if !o.Allowed(r) {
			t.Errorf("request to %s", r)
		}
	}
	t.Logf("%d requests", len(requests))
}
