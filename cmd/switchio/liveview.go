package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/switchio/switchio/dialer"
)

// liveView draws the dialer's progress on stderr: in a terminal, a block
// of status lines redrawn in place, with log lines and notes printed
// above it (they scroll away, the block stays at the bottom); otherwise a
// status line now and then.
//
// In a terminal every write to stderr must go through the view (its Logs
// writer): a line written behind its back would be overwritten or leave
// stale copies of the block on screen. Status lines are cut to the
// terminal's width, since a wrapped line would break the count of lines
// the next redraw moves up.
type liveView struct {
	w      io.Writer
	fd     int
	tty    bool
	period time.Duration
	every  time.Duration
	last   time.Time
	lines  int // lines of the block on screen

	mu      sync.Mutex
	pending []string // notes and log lines not yet printed
	partial []byte   // a log line still being written
}

func newLiveView(w io.Writer, every time.Duration) *liveView {
	v := &liveView{w: w, period: 250 * time.Millisecond, every: every, fd: -1}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		v.tty, v.fd = true, int(f.Fd())
	}
	if v.every <= 0 {
		v.every = 5 * time.Second
	}
	return v
}

// Logs returns the writer logs must use: in a terminal their lines are
// printed above the block at the next redraw.
func (v *liveView) Logs() io.Writer {
	if !v.tty {
		return v.w
	}
	return logWriter{v}
}

type logWriter struct{ v *liveView }

func (l logWriter) Write(p []byte) (int, error) {
	v := l.v
	v.mu.Lock()
	defer v.mu.Unlock()
	v.partial = append(v.partial, p...)
	for {
		i := bytes.IndexByte(v.partial, '\n')
		if i < 0 {
			break
		}
		v.pending = append(v.pending, string(v.partial[:i]))
		v.partial = v.partial[i+1:]
	}
	return len(p), nil
}

func (v *liveView) note(s string) {
	if v.tty {
		v.mu.Lock()
		v.pending = append(v.pending, "switchio dial: "+s)
		v.mu.Unlock()
		return
	}
	fmt.Fprintln(v.w, "switchio dial:", s)
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return d.Round(100 * time.Millisecond).String()
}

func (v *liveView) block(st dialer.Stats) []string {
	eta := ""
	if st.ETA >= 0 {
		eta = "  ETA " + fmtDur(st.ETA)
	}
	limit := "unlimited"
	if st.MaxOffered > 0 {
		limit = strconv.FormatUint(st.MaxOffered, 10)
	}
	out := []string{
		fmt.Sprintf("%-11s elapsed %s%s", st.State, fmtDur(st.Elapsed), eta),
		fmt.Sprintf("offered %d/%s  active %d/%d (peak %d)  answered %d  failed %d",
			st.Offered, limit, st.Active, st.Limit, st.PeakActive, st.Answered, st.Failed),
		fmt.Sprintf("rate: target %.1f  offered %.1f  answered %.1f cps", st.Rate, st.OfferedCPS, st.AnsweredCPS),
	}
	for _, s := range st.Servers {
		state := "ok"
		switch {
		case s.Lost:
			state = "LOST"
		case s.Down:
			state = "DOWN"
		case s.Saturated:
			state = fmt.Sprintf("SATURATED at ~%.0f cps", s.SaturatedCPS)
		}
		out = append(out, fmt.Sprintf("  %s  %s  active %d  backlog %d  set-up %.1f ms  %.1f cps",
			s.Addr, state, s.Active, s.Backlog, float64(s.SetupMean)/float64(time.Millisecond), s.CompletedCPS))
	}
	return out
}

// width is the terminal's width (80 when unknown).
func (v *liveView) width() int {
	if w, _, err := term.GetSize(v.fd); err == nil && w > 0 {
		return w
	}
	return 80
}

// cut shortens s to at most n columns, marking the cut.
func cut(s string, n int) string {
	if n < 2 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (v *liveView) draw(st dialer.Stats) {
	if !v.tty {
		if time.Since(v.last) < v.every {
			return
		}
		v.last = time.Now()
		var sat []string
		for _, s := range st.Servers {
			if s.Saturated {
				sat = append(sat, fmt.Sprintf("%s SATURATED ~%.0f cps backlog %d", s.Addr, s.SaturatedCPS, s.Backlog))
			}
			if s.Down {
				sat = append(sat, s.Addr+" DOWN")
			}
		}
		extra := ""
		if len(sat) > 0 {
			extra = " [" + strings.Join(sat, "; ") + "]"
		}
		if st.ETA >= 0 {
			extra = " eta=" + fmtDur(st.ETA) + extra
		}
		fmt.Fprintf(v.w, "switchio dial: %s elapsed=%s offered=%d active=%d answered=%d failed=%d answered_cps=%.1f%s\n",
			st.State, fmtDur(st.Elapsed), st.Offered, st.Active, st.Answered, st.Failed, st.AnsweredCPS, extra)
		return
	}
	v.mu.Lock()
	pending := v.pending
	v.pending = nil
	v.mu.Unlock()
	var b strings.Builder
	if v.lines > 0 {
		// Up to the block's first line, and clear from there down.
		fmt.Fprintf(&b, "\r\x1b[%dA\x1b[J", v.lines)
	}
	for _, l := range pending {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	w := v.width() - 1 // the last column would wrap on some terminals
	lines := v.block(st)
	for _, l := range lines {
		b.WriteString(cut(l, w))
		b.WriteByte('\n')
	}
	v.lines = len(lines)
	io.WriteString(v.w, b.String())
}

func (v *liveView) finish(st dialer.Stats) {
	if v.tty {
		v.draw(st)
		return
	}
	v.last = time.Time{}
	v.draw(st)
}
