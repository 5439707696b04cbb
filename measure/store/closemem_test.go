package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// closeMemChildEnv, set to a directory, makes the test binary a writer
// that reports its memory around Close (see closeMemChild).
const closeMemChildEnv = "SWITCHIO_STORE_CLOSEMEM_CHILD"

// What closeMemChild writes: a run of closeMemSeconds one-second parts
// of closeMemRate records each, as switchio dial's --out writes a run at
// that rate (the writer seals its parts every second).
const (
	closeMemRate    = 40
	closeMemSeconds = 300
	// closeMemGOGC is switchio dial's: it multiplies whatever the close
	// keeps live.
	closeMemGOGC = 400
	// closeMemMaxMB is the most Close may add to the process's resident
	// set, whatever the run's length.
	closeMemMaxMB = 50
)

// closeMemChild writes the run to dir, resets the kernel's peak RSS, closes
// the writer and prints "rss BEFORE peak PEAK" in kB: the resident set
// before Close and its peak during Close.
func closeMemChild(dir string) int {
	debug.SetGCPercent(closeMemGOGC)
	w, err := Create(dir, Options{Verdicts: testVerdicts, FlushInterval: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range closeMemRate * closeMemSeconds {
		r := genRecord(i)
		if err := w.WriteRecord(&r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if i%closeMemRate == closeMemRate-1 {
			s := genSecond(i / closeMemRate)
			if err := w.WriteSecond(&s); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if err := w.Flush(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
	}
	before, _, err := procMemKB()
	if err == nil {
		err = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // peak := current
	}
	if err != nil {
		fmt.Println("skip", err)
		return 0
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, peak, err := procMemKB()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("rss", before, "peak", peak)
	return 0
}

// procMemKB reads the process's resident set and its peak (VmRSS and
// VmHWM), in kB.
func procMemKB() (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	if rss == 0 || hwm == 0 {
		return 0, 0, errors.New("no VmRSS or VmHWM in /proc/self/status")
	}
	return rss, hwm, nil
}

// TestCloseMemoryBounded checks that closing a run of many small parts
// (a 5-minute run at 40 calls/s: 300 parts) adds at most closeMemMaxMB to
// the process's resident set under dial's GOGC. Merging by rows, Close
// added several hundred MB for such runs, growing with their length.
func TestCloseMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300 parts")
	}
	if raceEnabled {
		t.Skip("the race detector's memory makes the resident set meaningless")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), closeMemChildEnv+"="+t.TempDir(), "GOGC=", "GOMEMLIMIT=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v; stderr:\n%s", err, stderr.String())
	}
	var before, peak int64
	if reason, ok := strings.CutPrefix(string(out), "skip "); ok {
		t.Skipf("cannot reset the peak RSS: %s", reason)
	}
	if _, err := fmt.Sscanf(string(out), "rss %d peak %d", &before, &peak); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	extra := float64(peak-before) / 1000
	t.Logf("RSS %.1f MB before Close, peak %.1f MB during Close: +%.1f MB", float64(before)/1000, float64(peak)/1000, extra)
	if extra > closeMemMaxMB {
		t.Errorf("Close added %.1f MB to the resident set, want <= %d MB", extra, closeMemMaxMB)
	}
}
