package main

import (
	"bytes"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/switchio/switchio/fsemu"
)

// screen is a minimal terminal: enough of VT100 to replay what the live
// view writes (printable text, CR, LF, cursor up, erase below, erase line)
// into the lines a user would see, with wrapping at its width.
type screen struct {
	width    int
	lines    [][]rune
	row, col int
}

func (s *screen) line() []rune {
	for len(s.lines) <= s.row {
		s.lines = append(s.lines, nil)
	}
	return s.lines[s.row]
}

func (s *screen) put(r rune) {
	if s.col >= s.width {
		s.row, s.col = s.row+1, 0
	}
	l := s.line()
	for len(l) <= s.col {
		l = append(l, ' ')
	}
	l[s.col] = r
	s.lines[s.row] = l
	s.col++
}

func (s *screen) write(b []byte) {
	text := []rune(string(b))
	for i := 0; i < len(text); i++ {
		switch r := text[i]; r {
		case '\r':
			s.col = 0
		case '\n':
			s.row, s.col = s.row+1, 0
			s.line()
		case 0x1b:
			// ESC [ digits letter
			j := i + 2
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			if i+1 >= len(text) || text[i+1] != '[' || j >= len(text) {
				continue
			}
			n, _ := strconv.Atoi(string(text[i+2 : j]))
			switch text[j] {
			case 'A':
				s.row = max(s.row-max(n, 1), 0)
			case 'J':
				s.line()
				s.lines[s.row] = s.lines[s.row][:min(s.col, len(s.lines[s.row]))]
				s.lines = s.lines[:s.row+1]
			case 'K':
				s.line()
				s.lines[s.row] = s.lines[s.row][:min(s.col, len(s.lines[s.row]))]
			}
			i = j
		default:
			s.put(r)
		}
	}
}

func (s *screen) text() []string {
	out := make([]string, len(s.lines))
	for i, l := range s.lines {
		out[i] = strings.TrimRight(string(l), " ")
	}
	return out
}

// In a 50-column terminal, with log lines arriving while the view is
// drawn (a server's connection drops and comes back), the screen shows
// each log line once, above exactly one status block, and no line wraps.
func TestLiveViewInTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in a pseudo-terminal")
	}
	bin := buildSwitchio(t)
	srv := fsemu.RunT(t, fsemu.Config{})
	cmd := exec.Command(bin, "dial", "--max-offered", "60", "--rate", "30", "--duration", "0.5", srv.Addr())
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 50, Rows: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var raw bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&raw, tty); close(copied) }()
	time.Sleep(700 * time.Millisecond) // the view has drawn a few times
	srv.DropConnections()              // logs a warning and a note while drawing
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dial: %v\n%s", err, raw.String())
	}
	<-copied
	sc := &screen{width: 50}
	sc.write(raw.Bytes())
	lines := sc.text()
	blocks, lost, warn, start := 0, 0, 0, -1
	for i, l := range lines {
		if strings.HasPrefix(l, "offered ") {
			blocks++
			start = i - 1
		}
		lost += strings.Count(l, "lost the connection")
		warn += strings.Count(l, "level=WARN msg=")
	}
	if blocks != 1 || lost != 1 || warn == 0 {
		t.Fatalf("%d status blocks, %d 'lost the connection' notes, %d warnings on screen; want 1, 1 and some:\n%s",
			blocks, lost, warn, strings.Join(lines, "\n"))
	}
	// Log lines above may wrap; the block's lines are cut to the width.
	for _, l := range lines[start:] {
		if len([]rune(l)) >= 50 {
			t.Errorf("status line fills the 50 columns (wrapped): %q", l)
		}
	}
	if !strings.Contains(stdout.String(), "60 offered") {
		t.Fatalf("summary:\n%s", stdout.String())
	}
}
