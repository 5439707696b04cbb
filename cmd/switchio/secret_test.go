package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure/store"
)

// The passwords of TestPasswordsNeverLeak: distinctive, so that any
// appearance in an output is a leak.
const (
	secretPassword = "pw-9f2c7e1a-never-shown"
	wrongPassword  = "pw-4b8d0c3e-wrong-guess"
)

// leakForms are the ways a password could appear in an output: as given,
// and base64 or hex encoded.
func leakForms(pw string) []string {
	return []string{pw, base64.StdEncoding.EncodeToString([]byte(pw)), hex.EncodeToString([]byte(pw))}
}

// checkNoPassword fails the test when an output holds a password.
func checkNoPassword(t *testing.T, what string, data []byte) {
	t.Helper()
	for _, pw := range []string{secretPassword, wrongPassword} {
		for _, form := range leakForms(pw) {
			if bytes.Contains(data, []byte(form)) {
				t.Errorf("%s shows the password (as %q)", what, form)
			}
		}
	}
}

// checkRunDir searches every file a run wrote under dir, and the records,
// seconds, system statistics and summary read back from it (the parquet
// files compress what they hold).
func checkRunDir(t *testing.T, dir string) (files int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(dir, path)
		checkNoPassword(t, rel, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	run, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []any
	for r, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, r)
	}
	for s, err := range run.Seconds() {
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, s)
	}
	for s, err := range run.SysStats() {
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, s)
	}
	var summary any
	if err := run.Summary(&summary); err != nil {
		t.Fatal(err)
	}
	decoded = append(decoded, summary)
	b, err := json.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	checkNoPassword(t, "the run read back from "+filepath.Base(dir), b)
	return files
}

// dialRun is what one switchio dial printed and served.
type dialRun struct {
	stdout, stderr, scrape []byte
	code                   int
}

var metricsLine = regexp.MustCompile(`Prometheus metrics at (http://\S+)`)

// runDialScraped runs switchio dial with args until it ends by itself, or,
// once its Prometheus endpoint was scraped and a call answered, until
// Ctrl-C.
func runDialScraped(t *testing.T, bin string, args ...string) dialRun {
	t.Helper()
	var r dialRun
	stopped := false
	cmd, stdout, stderr, rest := startDialUntil(t, bin, args, func(line string) bool {
		if m := metricsLine.FindStringSubmatch(line); m != nil {
			r.scrape = scrape(t, m[1])
		}
		stopped = r.scrape != nil && answeredLine(line)
		return stopped
	})
	if stopped {
		cmd.Process.Signal(syscall.SIGINT)
	}
	io.Copy(stderr, rest)
	r.code = waitExit(t, cmd, 60*time.Second)
	r.stdout, r.stderr = stdout.Bytes(), stderr.Bytes()
	return r
}

func scrape(t *testing.T, url string) []byte {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("switchio_offered_calls_total")) {
		t.Fatalf("scrape: %s, %v\n%s", resp.Status, err, b)
	}
	return b
}

// TestPasswordsNeverLeak runs switchio dial with a chosen password, the
// right one and a wrong one, against an emulated server, and with its
// embedded servers, verbose, with --out, --json and Prometheus metrics:
// neither password may appear on stdout or stderr, in any file of the run
// (summary.json, cdr.parquet, calls.csv, timeseries.parquet,
// sysstats.parquet, report.html, plots/*.png) or in the scrape.
func TestPasswordsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)
	srv := fsemu.RunT(t, fsemu.Config{Password: secretPassword})
	common := []string{"--json", "--metrics-addr", "127.0.0.1:0", "-v", "--max-offered", "0", "--rate", "20", "--duration", "200ms"}
	cases := []struct {
		name     string
		args     []string
		code     int  // exit code
		measured bool // whether the run wrote its measurements
	}{
		{"right password", []string{srv.Addr(), "--password", secretPassword}, exitInterrupted, true},
		{"wrong password", []string{srv.Addr(), "--password", wrongPassword}, 1, false},
		{"embedded servers", []string{"--servers", "1", "--password", secretPassword}, exitInterrupted, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			r := runDialScraped(t, bin, append(append([]string{"--out", dir}, tc.args...), common...)...)
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\n%s", r.code, tc.code, r.stderr)
			}
			checkNoPassword(t, "stdout", r.stdout)
			checkNoPassword(t, "stderr", r.stderr)
			if !tc.measured {
				if !bytes.Contains(r.stderr, []byte("auth")) {
					t.Errorf("stderr does not name the failed authentication:\n%s", r.stderr)
				}
				return
			}
			checkNoPassword(t, "the Prometheus scrape", r.scrape)
			if files := checkRunDir(t, dir); files < 7 {
				t.Errorf("only %d files in the run", files)
			}
			for _, name := range []string{"summary.json", "cdr.parquet", "calls.csv", "timeseries.parquet", "sysstats.parquet", "report.html"} {
				if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
					t.Errorf("the run wrote no %s: %v", name, err)
				}
			}
			if pngs, _ := filepath.Glob(filepath.Join(dir, "plots", "*.png")); len(pngs) == 0 {
				t.Error("the run wrote no plots/*.png")
			}
		})
	}
}

// TestEmulatePasswordNotShown: emulate prints "(as given)" for a chosen
// password, and nothing else of it.
func TestEmulatePasswordNotShown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run, stop := context.WithCancel(ctx)
	stdout, stderr := &outBuffer{}, &outBuffer{}
	root := newRootCmd()
	root.SetArgs([]string{"emulate", "--listen", "127.0.0.1:0", "--servers", "2", "--password", secretPassword})
	root.SetOut(stdout)
	root.SetErr(stderr)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(run) }()
	for strings.Count(stdout.String(), "\n") < 2 {
		select {
		case err := <-done:
			t.Fatalf("emulate ended: %v", err)
		case <-ctx.Done():
			t.Fatalf("emulate printed %q", stdout.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(stdout.String(), "password=(as given)"); got != 2 {
		t.Errorf("emulate printed %q", stdout.String())
	}
	checkNoPassword(t, "emulate's stdout", []byte(stdout.String()))
	checkNoPassword(t, "emulate's stderr", []byte(stderr.String()))
}
