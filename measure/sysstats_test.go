package measure

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchio/switchio/fsemu"
)

// The package's TestMain (goleak.VerifyTestMain) checks these tests leak
// no goroutine.

// capturedStatus returns the body of the first api/response in the
// capture of a real FreeSWITCH 1.10.12 answering "api status".
func capturedStatus(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../testdata/captures/03_api_status.rx.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	api := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no api/response in the capture: %v", err)
		}
		line = strings.TrimSpace(line)
		if line == "Content-Type: api/response" {
			api = true
		}
		if n, ok := strings.CutPrefix(line, "Content-Length: "); ok && api {
			size, err := strconv.Atoi(n)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.ReadString('\n'); err != nil { // the blank line
				t.Fatal(err)
			}
			body := make([]byte, size)
			if _, err := io.ReadFull(r, body); err != nil {
				t.Fatal(err)
			}
			return string(body)
		}
	}
}

func TestParseStatus(t *testing.T) {
	captured := capturedStatus(t)
	capturedWant := ServerStatus{
		Uptime:            ptr(5*time.Second + 363*time.Millisecond + 764*time.Microsecond),
		SessionsPerSecMax: 200,
		SessionsMax:       ptr[int64](2000),
		IdleCPUPct:        97.93,
	}
	busy := strings.Join([]string{
		"UP 1 year, 1 day, 1 hour, 1 minute, 1 second, 1 millisecond, 1 microsecond",
		"FreeSWITCH (Version 1.10.12-release  64bit) is not ready",
		"123456 session(s) since startup",
		"412 session(s) - peak 830, last 5min 611 ",
		"37 session(s) per Sec out of max 200, peak 95, last 5min 60 ",
		"2000 session(s) max",
		"min idle cpu 10.00/3.50",
		"",
	}, "\n")
	busyWant := ServerStatus{
		Uptime: ptr(366*24*time.Hour + time.Hour + time.Minute + time.Second + time.Millisecond + time.Microsecond),

		SessionsSinceStartup: 123456,
		Sessions:             412, SessionsPeak: 830, SessionsPeak5Min: 611,
		SessionsPerSec: 37, SessionsPerSecMax: 200, SessionsPerSecPeak: 95, SessionsPerSecPeak5Min: 60,
		SessionsMax:   ptr[int64](2000),
		MinIdleCPUPct: 10, IdleCPUPct: 3.5,
	}
	bare := "0 session(s) since startup\n0 session(s) - peak 0, last 5min 0\n0 session(s) per Sec out of max 30, peak 0, last 5min 0\nmin idle cpu 0.00/100.00"
	for _, tc := range []struct {
		name string
		body string
		want ServerStatus
		err  string // a substring of the error; "" for none
	}{
		{name: "captured", body: captured, want: capturedWant},
		{name: "CRLF", body: strings.ReplaceAll(captured, "\n", "\r\n"), want: capturedWant},
		{name: "blanks around lines", body: strings.ReplaceAll(captured, "\n", "  \n\t"), want: capturedWant},
		{name: "busy, singular units, not ready", body: busy, want: busyWant},
		{name: "lines reordered", body: reverseLines(busy), want: busyWant},
		{name: "unknown lines among them", body: "+OK\n" + strings.ReplaceAll(busy, "\n", "\nsomething new 1/2\n"), want: busyWant},
		{name: "no uptime, max or stack lines", body: bare, want: ServerStatus{SessionsPerSecMax: 30, IdleCPUPct: 100}},
		{name: "sps limit lowered in the last second", body: strings.Replace(busy, "37 session(s) per Sec", "-9000 session(s) per Sec", 1),
			want: func() ServerStatus { w := busyWant; w.SessionsPerSec = -9000; return w }()},
		{name: "integer idle figures", body: strings.Replace(bare, "0.00/100.00", "0/100", 1), want: ServerStatus{SessionsPerSecMax: 30, IdleCPUPct: 100}},

		{name: "empty", body: "", err: "no sessions since startup, sessions, sessions per second, idle cpu line"},
		{name: "error reply", body: "-ERR status Command not found!\n", err: "no sessions since startup"},
		{name: "truncated before idle cpu", body: captured[:strings.Index(captured, "min idle")], err: "no idle cpu line"},
		{name: "idle cpu not a number", body: strings.Replace(captured, "97.93", "9x.93", 1), err: "no idle cpu line"},
		{name: "negative sessions", body: strings.Replace(busy, "412 session(s)", "-1 session(s)", 1), err: "no sessions line"},
		{name: "sessions overflow", body: strings.Replace(busy, "123456", "99999999999999999999", 1), err: "out of range"},
		{name: "uptime overflow", body: strings.Replace(busy, "UP 1 year", "UP 999999 year", 1), err: "uptime out of range"},
		{name: "idle cpu overflow", body: strings.Replace(bare, "100.00", "1"+strings.Repeat("0", 400), 1), err: "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatus(tc.body)
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrBadStatus) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want ErrBadStatus with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseStatus (-want +got):\n%s", d)
			}
		})
	}
}

func reverseLines(s string) string {
	l := strings.Split(s, "\n")
	for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
		l[i], l[j] = l[j], l[i]
	}
	return strings.Join(l, "\n")
}

// Every prefix of the captured reply and of fsemu's either parses or is
// an error; none panics.
func TestParseStatusPrefixes(t *testing.T) {
	emulated, err := fsemu.RunT(t).API(context.Background(), "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{capturedStatus(t), emulated} {
		for i := range len(body) + 1 {
			if _, err := ParseStatus(body[:i]); err != nil && !errors.Is(err, ErrBadStatus) {
				t.Fatalf("prefix %d: %v", i, err)
			}
		}
	}
}
