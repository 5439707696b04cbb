package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyOutput collects what a program writes to its terminal.
type ptyOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (p *ptyOutput) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.b.Write(b)
}
func (p *ptyOutput) String() string { p.mu.Lock(); defer p.mu.Unlock(); return p.b.String() }

// waitFor waits until re matches what was written after from (bytes), and
// returns the match's submatches and where the match ended.
func (p *ptyOutput) waitFor(t *testing.T, from int, re *regexp.Regexp) ([]string, int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s := p.String()
		if from <= len(s) {
			if loc := re.FindStringSubmatchIndex(s[from:]); loc != nil {
				var subs []string
				for i := 0; i < len(loc); i += 2 {
					if loc[i] >= 0 {
						subs = append(subs, s[from+loc[i]:from+loc[i+1]])
					} else {
						subs = append(subs, "")
					}
				}
				return subs, from + loc[1]
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; the terminal shows:\n%s", re, p.String())
	return nil, 0
}

// dial --interactive in a pseudo-terminal: the rate set at the prompt is
// followed within about a second (o.stats()), o.stop() ends the run, and
// the change is in summary.json.
func TestInteractiveShell(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in a pseudo-terminal")
	}
	bin := buildSwitchio(t)
	dir := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "dial", "--interactive", "--rate", "5", "--max-offered", "0", "--duration", "0.5", "--out", dir)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 120, Rows: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	out := &ptyOutput{}
	copied := make(chan struct{})
	go func() { io.Copy(out, tty); close(copied) }()
	offered := regexp.MustCompile(`"offered": (\d+)`)
	_, at := out.waitFor(t, 0, regexp.MustCompile(`switchio> `))
	time.Sleep(500 * time.Millisecond)
	io.WriteString(tty, "o.stats()\r")
	m, at := out.waitFor(t, at, offered)
	before, _ := strconv.Atoi(m[1])
	io.WriteString(tty, "o.rate = 20\r")
	changed := time.Now()
	time.Sleep(1500 * time.Millisecond)
	io.WriteString(tty, "o.stats()\r")
	m, at = out.waitFor(t, at, regexp.MustCompile(`"offered": (\d+)[^}]*"rate": 20\.0`))
	after, _ := strconv.Atoi(m[1])
	elapsed := time.Since(changed).Seconds()
	// At 5 calls/s the 1.5 s would offer 7 or 8 calls; at 20, 30.
	if got := float64(after-before) / elapsed; got < 12 {
		t.Errorf("offered %d calls in %.1f s after o.rate = 20 (%.1f/s): the run did not follow", after-before, elapsed, got)
	}
	io.WriteString(tty, "o.duration\r")
	_, at = out.waitFor(t, at, regexp.MustCompile(`"500ms"`))
	io.WriteString(tty, "o.nope = 1\r")
	out.waitFor(t, at, regexp.MustCompile(`error: .*o\.nope cannot be set`))
	io.WriteString(tty, "o.stop()\r")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dial: %v\n%s", err, out.String())
	}
	<-copied
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sm struct {
		Changes []struct{ Setting, Value string }
	}
	if err := json.Unmarshal(raw, &sm); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range sm.Changes {
		found = found || c.Setting == "rate" && strings.HasPrefix(c.Value, "20")
	}
	if !found {
		t.Fatalf("summary.json changes %+v: no rate 20", sm.Changes)
	}
}

// Without a terminal on standard input, --interactive is a one-line error.
func TestInteractiveNeedsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildSwitchio(t)
	cmd := exec.Command(bin, "dial", "--interactive", "--max-offered", "1")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err == nil || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 || !strings.Contains(string(out), "--interactive needs a terminal") {
		t.Fatalf("err %v, output:\n%s", err, out)
	}
}

// Ctrl-D at the prompt stops the run as Ctrl-C does: its calls are hung
// up and dial exits with Ctrl-C's code.
func TestInteractiveCtrlD(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in a pseudo-terminal")
	}
	bin := buildSwitchio(t)
	cmd := exec.Command(bin, "dial", "--interactive", "--rate", "10", "--max-offered", "0", "--duration", "30")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 120, Rows: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	out := &ptyOutput{}
	go io.Copy(out, tty)
	out.waitFor(t, 0, regexp.MustCompile(`switchio> `))
	time.Sleep(500 * time.Millisecond)
	io.WriteString(tty, "\x04")
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want code %d\n%s", err, exitInterrupted, out.String())
	}
}
