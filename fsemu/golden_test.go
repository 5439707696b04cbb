package fsemu

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

const capDir = "../testdata/captures"

// capFrame is one server->client frame.
type capFrame struct {
	ct  string
	raw []byte
	msg *wire.Message
	ev  *wire.Event
}

func readFrames(t *testing.T, data []byte) []capFrame {
	t.Helper()
	r := wire.NewReader(bytes.NewReader(data))
	var out []capFrame
	for {
		start := len(data) - r.Buffered()
		_ = start
		m, err := r.ReadMessage()
		if err != nil {
			break
		}
		f := capFrame{ct: m.ContentType(), msg: m}
		if m.IsEvent() {
			ev, err := wire.ParseEvent(m.ContentType(), m.Body)
			if err != nil {
				t.Fatalf("parse capture event: %v", err)
			}
			f.ev = ev
		}
		out = append(out, f)
	}
	return out
}

// txCommand is a client command with its send time (ms) from the dialog.
type txCommand struct {
	raw []byte
	at  int
}

func readTx(t *testing.T, name string) []txCommand {
	t.Helper()
	d, err := os.ReadFile(filepath.Join(capDir, name+".dialog.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []txCommand
	for len(d) > 0 {
		nl := bytes.IndexByte(d, '\n')
		hdr := string(d[:nl])
		d = d[nl+1:]
		var dir string
		var at, n int
		if _, err := fmt.Sscanf(hdr, "### %s t=%d len=%d", &dir, &at, &n); err != nil {
			t.Fatalf("dialog header %q: %v", hdr, err)
		}
		body := d[:n]
		d = d[n:]
		if len(d) > 0 && d[0] == '\n' {
			d = d[1:]
		}
		if dir == "C->S" {
			// one TCP write may hold several commands
			for _, c := range splitCommands(body) {
				out = append(out, txCommand{raw: c, at: at})
			}
		}
	}
	return out
}

func splitCommands(b []byte) [][]byte {
	r := wire.NewReader(bytes.NewReader(b))
	var out [][]byte
	for {
		m, err := r.ReadCommand()
		if err != nil {
			return out
		}
		out = append(out, wire.AppendCommand(nil, m.Command, m.Headers, m.Body))
	}
}

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// goldenRun drives one emulated server with a capture's commands.
type goldenRun struct {
	t      *testing.T
	srv    *Server
	clock  *VirtualClock
	waited int // ms the clock advanced while a step waited for its reply
	// onStep, when set, acts on the server after every 10 ms of virtual
	// time, as the captures' second connection did during the run
	// (autoAnswer).
	onStep func(*Server)
	conn   net.Conn
	r      *wire.Reader
	in     chan *wire.Message
	frames []capFrame
	// uuid mapping emu -> capture and back
	mu       sync.Mutex
	tmp      string
	e2c      map[string]string
	c2e      map[string]string
	capIDs   []string          // capture Unique-IDs in order of first appearance
	verbatim map[string]bool   // ids the client chooses (origination_uuid)
	subst    map[string]string // extra replacements in commands
	outbound bool              // FreeSWITCH connected to us: no auth/request
	nextID   int
}

func goldenConfig(clock *VirtualClock, sip string) Config {
	return Config{Hostname: "vm", IPv4: "192.0.2.2", IPv6: "fd00::2", SIPAddr: sip, Clock: clock,
		HeartbeatInterval: -1}
}

func newGoldenState(t *testing.T, srv *Server, clock *VirtualClock, capture []capFrame) *goldenRun {
	g := &goldenRun{t: t, srv: srv, clock: clock, e2c: map[string]string{}, c2e: map[string]string{}, tmp: t.TempDir()}
	seen := map[string]bool{}
	for _, f := range capture {
		if f.ev == nil {
			continue
		}
		if id := f.ev.Get("Unique-ID"); id != "" && !seen[id] {
			seen[id] = true
			g.capIDs = append(g.capIDs, id)
		}
	}
	return g
}

func newGoldenRun(t *testing.T, srv *Server, clock *VirtualClock, capture []capFrame) *goldenRun {
	g := newGoldenState(t, srv, clock, capture)
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return g.attach(c)
}

// attach runs the goldenRun on an established connection.
func (g *goldenRun) attach(c net.Conn) *goldenRun {
	g.t.Cleanup(func() { c.Close() })
	g.conn = c
	g.r = wire.NewReader(bufio.NewReader(c))
	g.in = make(chan *wire.Message, 1<<16)
	go func() {
		defer close(g.in)
		for {
			m, err := g.r.ReadMessage()
			if err != nil {
				return
			}
			g.in <- m
		}
	}()
	return g
}

func (g *goldenRun) learn(ev *wire.Event) {
	id := ev.Get("Unique-ID")
	if id == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.e2c[id]; ok {
		return
	}
	if contains(g.capIDs, id) && g.c2e[id] == "" {
		g.e2c[id] = id
		g.c2e[id] = id
		return
	}
	if c := g.firstUnmapped(); c != "" {
		g.e2c[id] = c
		g.c2e[c] = id
	}
}

func (g *goldenRun) firstUnmapped() string {
	for _, c := range g.capIDs {
		if g.c2e[c] == "" && !g.verbatim[c] {
			return c
		}
	}
	return ""
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// readFrame reads one frame (with a wall-clock limit).
func (g *goldenRun) readFrame(d time.Duration) (capFrame, bool) {
	var m *wire.Message
	select {
	case x, ok := <-g.in:
		if !ok {
			return capFrame{}, false
		}
		m = x
	case <-time.After(d):
		return capFrame{}, false
	}
	f := capFrame{ct: m.ContentType(), msg: m}
	if m.IsEvent() {
		ev, err := wire.ParseEvent(m.ContentType(), m.Body)
		if err != nil {
			g.t.Fatalf("emulator sent a bad event: %v", err)
		}
		f.ev = ev
		g.learn(ev)
	}
	g.frames = append(g.frames, f)
	return f, true
}

// mapOut replaces capture uuids in a command with the emulator's.
func (g *goldenRun) mapOut(b []byte) []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	b = bytes.ReplaceAll(b, []byte("/usr/freeswitch/recordings/"), []byte(g.tmp+"/"))
	for k, v := range g.subst {
		b = bytes.ReplaceAll(b, []byte(k), []byte(v))
	}
	return uuidRe.ReplaceAllFunc(b, func(u []byte) []byte {
		if e := g.c2e[string(u)]; e != "" {
			return []byte(e)
		}
		return u
	})
}

func (g *goldenRun) needsUnknown(b []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, u := range uuidRe.FindAll(b, -1) {
		if contains(g.capIDs, string(u)) && g.c2e[string(u)] == "" {
			// an origination_uuid is used verbatim by the emulator
			if bytes.Contains(b, []byte("origination_uuid="+string(u))) {
				continue
			}
			return true
		}
	}
	return false
}

// drive replays the commands. Between commands, the virtual clock advances
// by the capture's gap.
func (g *goldenRun) drive(cmds []txCommand, _ []int) {
	g.prepare(cmds)
	for i, c := range cmds {
		g.step(c)
		gap := 50
		if i+1 < len(cmds) {
			gap = cmds[i+1].at - c.at
		}
		g.advance(gap - g.waited)
		g.waited = 0
		g.drain()
	}
	g.finish()
}

func (g *goldenRun) prepare(cmds []txCommand) {
	g.verbatim = map[string]bool{}
	re := regexp.MustCompile(`origination_uuid=(` + uuidRe.String() + `)`)
	for _, c := range cmds {
		for _, m := range re.FindAllSubmatch(c.raw, -1) {
			g.verbatim[string(m[1])] = true
		}
	}
	if !g.outbound {
		g.readFrame(5 * time.Second) // auth/request
	}
}

// advance moves the virtual clock on by ms, 10 ms at a time, running
// onStep after each.
func (g *goldenRun) advance(ms int) {
	for step := 0; step < ms; step += 10 {
		g.clock.Advance(10 * time.Millisecond)
		if g.onStep != nil {
			g.srv.ChannelCount() // barrier: the step's timers have run
			g.onStep(g.srv)
		}
	}
}

func advance(clock *VirtualClock, ms int) {
	for step := 0; step < ms; step += 10 {
		clock.Advance(10 * time.Millisecond)
	}
}

func (g *goldenRun) drain() {
	for {
		if _, ok := g.readFrame(time.Millisecond); !ok {
			return
		}
	}
}

func (g *goldenRun) finish() {
	for {
		if _, ok := g.readFrame(50 * time.Millisecond); !ok {
			return
		}
	}
}

// step sends one command and waits for its reply.
func (g *goldenRun) step(c txCommand) {
	for tries := 0; g.needsUnknown(c.raw) && tries < 200; tries++ {
		g.readFrame(10 * time.Millisecond)
	}
	if _, err := g.conn.Write(g.mapOut(c.raw)); err != nil {
		g.t.Fatalf("write: %v", err)
	}
	want := 1
	cmd := string(c.raw)
	if strings.HasPrefix(cmd, "exit") {
		want = 2
	}
	got := 0
	deadline := time.Now().Add(5 * time.Second)
	for got < want && time.Now().Before(deadline) {
		f, ok := g.readFrame(20 * time.Millisecond)
		if !ok {
			if strings.HasPrefix(cmd, "api originate") && g.waited < 60000 {
				// a blocking originate replies when its originate loop
				// looks again (20 ms after the answer): time passes
				// while the capture's client waited
				g.advance(10)
				g.waited += 10
			}
			continue
		}
		if f.ev == nil && f.ct != wire.TypeLogData {
			got++
		}
	}
	if got < want {
		g.t.Fatalf("no reply to %q", cmd)
	}
	g.srv.ChannelCount() // barrier: the command's effects are in place
}

var (
	normUS    = regexp.MustCompile(`\b1[0-9]{15}\b`)
	normEpoch = regexp.MustCompile(`\b1[0-9]{9}\b`)
	normDate  = regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}(%20| )[0-9]{2}(%3A|:)[0-9]{2}(%3A|:)[0-9]{2}`)
	normGMT   = regexp.MustCompile(`[A-Z][a-z]{2},(%20| )[0-9]{2}(%20| )[A-Z][a-z]{2}(%20| )[0-9]{4}(%20| )[0-9]{2}(%3A|:)[0-9]{2}(%3A|:)[0-9]{2}(%20| )GMT`)
	normSeq   = regexp.MustCompile(`(Event-Sequence(: |":"|>))[0-9]+`)
	normLen   = regexp.MustCompile(`(Content-Length(: |":"|>))[0-9]+`)
	normSess  = regexp.MustCompile(`(session_id(: |":"|>))[0-9]+`)
)

// normalize maps emulator uuids to capture ones (when e2c is given) and
// blanks values that differ between runs.
func normalize(b []byte, e2c map[string]string) string {
	b = uuidRe.ReplaceAllFunc(b, func(u []byte) []byte {
		if e2c != nil {
			if c := e2c[string(u)]; c != "" {
				return []byte(c)
			}
		}
		return []byte("<UUID>")
	})
	b = normUS.ReplaceAll(b, []byte("<US>"))
	b = normEpoch.ReplaceAll(b, []byte("<EPOCH>"))
	b = normDate.ReplaceAll(b, []byte("<DATE>"))
	b = normGMT.ReplaceAll(b, []byte("<GMT>"))
	b = normSeq.ReplaceAll(b, []byte("${1}<SEQ>"))
	b = normLen.ReplaceAll(b, []byte("${1}<LEN>"))
	b = normSess.ReplaceAll(b, []byte("${1}<N>"))
	return string(b)
}

func frameBytes(f capFrame) []byte {
	m := f.msg
	if m.IsEvent() {
		return append(wire.AppendMessage(nil, m.Headers, nil), m.Body...)
	}
	return wire.AppendMessage(nil, m.Headers, m.Body)
}

// legSeq is an event's identity within a leg's sequence.
func legKey(ev *wire.Event) string {
	n := ev.Name()
	switch n {
	case "CUSTOM":
		n += " " + ev.Subclass()
	case "CHANNEL_STATE":
		n += " " + ev.Get("Channel-State")
	case "CHANNEL_CALLSTATE":
		n += " " + ev.Get("Original-Channel-Call-State") + ">" + ev.Get("Channel-Call-State")
	case "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE":
		n += " " + ev.Get("Application")
	}
	return n
}

func headerNames(ev *wire.Event) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range ev.Headers {
		if !seen[h.Name] {
			seen[h.Name] = true
			out = append(out, h.Name)
		}
	}
	sort.Strings(out)
	return out
}

// goldenOpts tunes a comparison.
type goldenOpts struct {
	// bodyExempt lists api commands whose response body is compared by
	// shape only (it holds run-dependent values).
	bodyExempt []string
	// noHeaderSets skips header-set comparison (events compared by order).
	noHeaderSets bool
}

// compare checks replies byte-for-byte (normalised), per-leg event order
// and per-event header-name sets.
func (g *goldenRun) compare(capture []capFrame, opts goldenOpts) {
	t := g.t
	t.Helper()
	var capR, emuR []capFrame
	for _, f := range capture {
		if f.ev == nil && f.ct != wire.TypeLogData {
			capR = append(capR, f)
		}
	}
	for _, f := range g.frames {
		if f.ev == nil && f.ct != wire.TypeLogData {
			emuR = append(emuR, f)
		}
	}
	if len(capR) != len(emuR) {
		t.Errorf("replies: capture has %d, emulator %d", len(capR), len(emuR))
	}
	unsubst := func(b []byte) []byte {
		for k, v := range g.subst {
			b = bytes.ReplaceAll(b, []byte(v), []byte(k))
			b = bytes.ReplaceAll(b, []byte(wire.URLEncode(v)), []byte(wire.URLEncode(k)))
		}
		return b
	}
	for i := 0; i < len(capR) && i < len(emuR); i++ {
		cb := normalize(frameBytes(capR[i]), nil)
		eb := normalize(unsubst(frameBytes(emuR[i])), g.e2c)
		cb2 := normalize(frameBytes(capR[i]), identity(g.e2c))
		if cb2 != eb && cb != eb {
			exempt := false
			for _, x := range opts.bodyExempt {
				if strings.Contains(cb, x) || strings.Contains(eb, x) {
					exempt = true
				}
			}
			if exempt && capR[i].ct == emuR[i].ct && strings.HasPrefix(string(capR[i].msg.Body), "UP ") {
				// status: same text with the numbers blanked
				digits := regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
				c0 := digits.ReplaceAllString(string(capR[i].msg.Body), "N")
				e0 := digits.ReplaceAllString(string(emuR[i].msg.Body), "N")
				if c0 != e0 {
					t.Errorf("status differs:\n%q\n%q", c0, e0)
				}
				continue
			}
			if exempt && capR[i].ct == emuR[i].ct {
				// uuid_dump bodies: same header names as FreeSWITCH's
				cb, eb := capR[i].msg.Body, emuR[i].msg.Body
				var ce, ee *wire.Event
				switch {
				case bytes.HasPrefix(cb, []byte("Event-Name: CHANNEL_DATA")):
					ce, _ = wire.ParseEventPlain(append(append([]byte{}, cb...), '\n'))
					ee, _ = wire.ParseEventPlain(append(append([]byte{}, eb...), '\n'))
				case bytes.HasPrefix(cb, []byte(`{"Event-Name":"CHANNEL_DATA"`)):
					ce, _ = wire.ParseEventJSON(cb)
					ee, _ = wire.ParseEventJSON(eb)
				}
				if ce == nil && bytes.Contains(cb, []byte("CHANNEL_DATA")) {
					t.Errorf("reply %d: capture uuid_dump does not parse", i)
				}
				if ce != nil {
					if ee == nil {
						t.Errorf("reply %d: emulator uuid_dump does not parse: %q", i, clip(string(eb)))
					} else if d := diffSets(headerNames(ce), headerNames(ee)); d != "" {
						t.Errorf("reply %d uuid_dump header set differs: %s", i, d)
					}
				}
				continue
			}
			t.Errorf("reply %d differs:\ncapture:  %q\nemulator: %q", i, clip(cb2), clip(eb))
		}
	}
	// events per leg
	legs := func(fr []capFrame, m map[string]string) (map[string][]*wire.Event, []*wire.Event) {
		out := map[string][]*wire.Event{}
		var global []*wire.Event
		for _, f := range fr {
			if f.ev == nil {
				continue
			}
			id := f.ev.Get("Unique-ID")
			if id == "" {
				global = append(global, f.ev)
				continue
			}
			if m != nil {
				if c := m[id]; c != "" {
					id = c
				}
			}
			out[id] = append(out[id], f.ev)
		}
		return out, global
	}
	cl, cg := legs(capture, nil)
	el, eg := legs(g.frames, g.e2c)
	for id, cev := range cl {
		eev := el[id]
		var cs, es []string
		for _, e := range cev {
			cs = append(cs, legKey(e))
		}
		for _, e := range eev {
			es = append(es, legKey(e))
		}
		if strings.Join(cs, "\n") != strings.Join(es, "\n") {
			t.Errorf("leg %s event order differs:\n%s", id[:8], sideBySide(cs, es))
			continue
		}
		if opts.noHeaderSets {
			continue
		}
		for i := range cev {
			if d := diffSets(headerNames(cev[i]), headerNames(eev[i])); d != "" {
				t.Errorf("leg %s event %d %s header set differs: %s", id[:8], i, cs[i], d)
			}
		}
	}
	for id := range el {
		if _, ok := cl[id]; !ok {
			t.Errorf("emulator leg %s has no capture counterpart", id)
		}
	}
	// global events: names in order; deterministic ones byte-compared
	var cgn, egn []string
	for _, e := range cg {
		cgn = append(cgn, legKey(e))
	}
	for _, e := range eg {
		egn = append(egn, legKey(e))
	}
	if strings.Join(cgn, ",") != strings.Join(egn, ",") {
		t.Errorf("non-channel events differ:\n%s", sideBySide(cgn, egn))
		return
	}
	// byte-compare them, normalised; numbers that depend on the run
	// (uptime, counters, lengths) are blanked
	digits := regexp.MustCompile(`[0-9]+`)
	var cs, es []string
	for i := range cg {
		cb := cg[i].AppendPlain(nil)
		eb := bytes.ReplaceAll(eg[i].AppendPlain(nil), []byte(g.tmp+"/"), []byte("/usr/freeswitch/recordings/"))
		cs = append(cs, digits.ReplaceAllString(normalize(cb, identity(g.e2c)), "N"))
		es = append(es, digits.ReplaceAllString(normalize(eb, g.e2c), "N"))
	}
	// delivery order of these is a race in FreeSWITCH
	sort.Strings(cs)
	sort.Strings(es)
	for i := range cs {
		if cs[i] != es[i] {
			t.Errorf("non-channel event differs:\ncapture:  %q\nemulator: %q", clip(cs[i]), clip(es[i]))
		}
	}
}

func identity(m map[string]string) map[string]string {
	out := map[string]string{}
	for _, v := range m {
		out[v] = v
	}
	return out
}

func clip(s string) string {
	if len(s) > 600 && os.Getenv("FSEMU_FULLDIFF") == "" {
		return s[:600] + "..."
	}
	return s
}

func diffSets(a, b []string) string {
	am, bm := map[string]bool{}, map[string]bool{}
	for _, x := range a {
		am[x] = true
	}
	for _, x := range b {
		bm[x] = true
	}
	var miss, extra []string
	for _, x := range a {
		if !bm[x] {
			miss = append(miss, x)
		}
	}
	for _, x := range b {
		if !am[x] {
			extra = append(extra, x)
		}
	}
	if len(miss) == 0 && len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("missing %v extra %v", miss, extra)
}

func sideBySide(a, b []string) string {
	var sb strings.Builder
	n := max(len(a), len(b))
	for i := 0; i < n; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		mark := "  "
		if x != y {
			mark = "!="
		}
		sb.WriteString(fmt.Sprintf("  %-45s %s %s\n", x, mark, y))
	}
	return sb.String()
}

func loadCapture(t *testing.T, name string) []capFrame {
	t.Helper()
	d, err := os.ReadFile(filepath.Join(capDir, name+".rx.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return readFrames(t, d)
}

var captureEpoch = time.Date(2026, 11, 25, 19, 9, 0, 0, time.UTC)

// runGolden replays a single-server capture.
func runGolden(t *testing.T, name string, opts goldenOpts, onStep func(*Server)) *goldenRun {
	t.Helper()
	clock := NewVirtualClock(captureEpoch)
	srv := RunT(t, goldenConfig(clock, "127.0.0.1:5080"))
	capture := loadCapture(t, name)
	g := newGoldenRun(t, srv, clock, capture)
	g.onStep = onStep
	g.drive(readTx(t, name), nil)
	g.compare(capture, opts)
	return g
}

func TestGolden01AuthOK(t *testing.T)   { runGolden(t, "01_auth_ok", goldenOpts{}, nil) }
func TestGolden02AuthFail(t *testing.T) { runGolden(t, "02_auth_fail", goldenOpts{}, nil) }
func TestGolden03Status(t *testing.T) {
	runGolden(t, "03_api_status", goldenOpts{bodyExempt: []string{"UP ", `{"row_count":398`}}, nil)
}
func TestGolden04Errors(t *testing.T) { runGolden(t, "04_errors", goldenOpts{}, nil) }
func TestGolden05Bgapi(t *testing.T) {
	runGolden(t, "05_bgapi", goldenOpts{bodyExempt: []string{"UP "}}, nil)
}
func TestGolden06Call(t *testing.T) {
	runGolden(t, "06_call_sofia_plain_all", goldenOpts{bodyExempt: []string{"CHANNEL_DATA"}}, nil)
}

var _ = strconv.Itoa

func TestGolden07CallJSON(t *testing.T) {
	runGolden(t, "07_call_sofia_json_all", goldenOpts{bodyExempt: []string{"CHANNEL_DATA"}}, nil)
}
func TestGolden08Loopback(t *testing.T) {
	runGolden(t, "08_call_loopback_plain", goldenOpts{bodyExempt: []string{"CHANNEL_DATA"}}, nil)
}
func TestGolden09XML(t *testing.T) {
	runGolden(t, "09_call_xml_subset", goldenOpts{bodyExempt: []string{"CHANNEL_DATA"}}, nil)
}
func TestGolden10Hupall(t *testing.T) {
	runGolden(t, "10_hupall", goldenOpts{bodyExempt: []string{"uuid,direction", `{"row_count":4`}}, nil)
}
func TestGolden11Bert(t *testing.T) {
	runGolden(t, "11_bert", goldenOpts{bodyExempt: []string{"CHANNEL_DATA"}}, nil)
}
func TestGolden13LogFilter(t *testing.T) {
	runGolden(t, "13_log_filter_sendevent", goldenOpts{}, autoAnswer)
}

func TestGolden12OriginateSync(t *testing.T) {
	runGolden(t, "12_api_originate_sync", goldenOpts{bodyExempt: []string{"uuid,direction"}}, autoAnswer)
}

// autoAnswer answers inbound channels parked on srv from outside the
// recorded connection, as the second connection of the captures did: an
// onStep hook.
func autoAnswer(srv *Server) {
	for _, ch := range srv.Channels() {
		if ch.Direction == "inbound" && !ch.Answered && ch.Application == "park" {
			srv.Answer(ch.UUID)
		}
	}
}
func TestGolden15Heartbeat(t *testing.T) {
	clock := NewVirtualClock(captureEpoch)
	cfg := goldenConfig(clock, "127.0.0.1:5080")
	cfg.HeartbeatInterval = 20 * time.Second
	srv := RunT(t, cfg)
	capture := loadCapture(t, "15_heartbeat_plain")
	g := newGoldenRun(t, srv, clock, capture)
	cmds := readTx(t, "15_heartbeat_plain")
	// the heartbeat fell between the subscription and exit
	cmds[len(cmds)-1].at = cmds[len(cmds)-2].at + 20000
	g.drive(cmds, nil)
	g.compare(capture, goldenOpts{})
}
func TestGolden17Shutdown(t *testing.T) {
	runGolden(t, "17_fsctl_shutdown_fs2", goldenOpts{}, nil)
}

// TestGolden16Cluster replays the two-server capture: fs1 originates to
// fs2, fs2 answers, DTMF crosses, fs2 hangs up.
func TestGolden16Cluster(t *testing.T) {
	clock := NewVirtualClock(captureEpoch)
	net := NewNetwork()
	cfg1 := goldenConfig(clock, "127.0.0.1:5080")
	cfg1.Network = net
	cfg2 := goldenConfig(clock, "127.0.0.1:5082")
	cfg2.Network = net
	fs1 := RunT(t, cfg1)
	fs2 := RunT(t, cfg2)
	cap1 := loadCapture(t, "16_cluster_fs1_8021")
	cap2 := loadCapture(t, "16_cluster_fs2_8022")
	g1 := newGoldenRun(t, fs1, clock, cap1)
	g2 := newGoldenRun(t, fs2, clock, cap2)
	tx1 := readTx(t, "16_cluster_fs1_8021")
	tx2 := readTx(t, "16_cluster_fs2_8022")
	g1.prepare(tx1)
	g2.prepare(tx2)
	type item struct {
		g *goldenRun
		c txCommand
	}
	var all []item
	for _, c := range tx1 {
		all = append(all, item{g1, c})
	}
	for _, c := range tx2 {
		all = append(all, item{g2, c})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].c.at < all[j].c.at })
	for i, it := range all {
		it.g.step(it.c)
		gap := 50
		if i+1 < len(all) {
			gap = all[i+1].c.at - it.c.at
		}
		advance(clock, gap)
		g1.drain()
		g2.drain()
	}
	g1.finish()
	g2.finish()
	g1.compare(cap1, goldenOpts{})
	g2.compare(cap2, goldenOpts{})
}

// TestGolden14Outbound replays the outbound-socket capture: a loopback
// call's B leg is transferred to "socket:<addr> async full"; the emulator
// connects to the test's listener, which sends connect, myevents, linger,
// event, sendmsg answer/playback, getvar, resume and sendmsg hangup.
func TestGolden14Outbound(t *testing.T) {
	clock := NewVirtualClock(captureEpoch)
	srv := RunT(t, goldenConfig(clock, "127.0.0.1:5080"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	capCtl := loadCapture(t, "14_outbound_ctl")
	capSock := loadCapture(t, "14_outbound_socket")
	ctl := newGoldenRun(t, srv, clock, capCtl)
	ctl.subst = map[string]string{"127.0.0.1:36227": ln.Addr().String()}
	txCtl := readTx(t, "14_outbound_ctl")
	txSock := readTx(t, "14_outbound_socket")
	ctl.prepare(txCtl)
	sock := newGoldenState(t, srv, clock, capSock)
	sock.outbound = true
	sock.subst = ctl.subst
	const offset = 24 // the socket connected 24 ms into the control dialog
	type item struct {
		g *goldenRun
		c txCommand
	}
	var all []item
	for _, c := range txCtl {
		all = append(all, item{ctl, c})
	}
	for _, c := range txSock {
		c.at += offset
		all = append(all, item{sock, c})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].c.at < all[j].c.at })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	for i, it := range all {
		if it.g == sock && sock.conn == nil {
			select {
			case c := <-accepted:
				sock.attach(c)
				sock.prepare(txSock)
			case <-time.After(5 * time.Second):
				t.Fatal("the emulator did not connect to the socket application's address")
			}
		}
		it.g.step(it.c)
		gap := 50
		if i+1 < len(all) {
			gap = all[i+1].c.at - it.c.at
		}
		advance(clock, gap)
		ctl.drain()
		if sock.conn != nil {
			sock.drain()
		}
	}
	// the socket lingers 5 s before its final notice
	advance(clock, 6000)
	ctl.finish()
	sock.finish()
	ctl.compare(capCtl, goldenOpts{})
	sock.compare(capSock, goldenOpts{})
}

// jobPlace is where a BACKGROUND_JOB falls among its originate's A-leg
// events.
type jobPlace struct {
	result string        // the job's body, uuids normalised
	leg    string        // the A leg (origination_uuid of the command)
	before int           // the leg's events before the job
	last   string        // the leg's last event before the job (legKey)
	delay  time.Duration // after the leg's first event (Event-Date-Timestamp)
}

var origUUIDRe = regexp.MustCompile(`origination_uuid=(` + uuidRe.String() + `)`)

// jobPlaces lists the BACKGROUND_JOBs of a frame stream in order; m maps
// the stream's uuids to the capture's (identity for the capture itself).
func jobPlaces(fr []capFrame, m map[string]string) []jobPlace {
	count := map[string]int{}
	last := map[string]string{}
	first := map[string]int64{}
	stamp := func(ev *wire.Event) int64 {
		n, _ := strconv.ParseInt(ev.Get("Event-Date-Timestamp"), 10, 64)
		return n
	}
	var out []jobPlace
	for _, f := range fr {
		if f.ev == nil {
			continue
		}
		if f.ev.Name() == "BACKGROUND_JOB" {
			p := jobPlace{result: normalize([]byte(f.ev.Body), m)}
			if sm := origUUIDRe.FindStringSubmatch(f.ev.Get("Job-Command-Arg")); sm != nil {
				p.leg = sm[1]
				p.before, p.last = count[p.leg], last[p.leg]
				if t0, ok := first[p.leg]; ok {
					p.delay = time.Duration(stamp(f.ev)-t0) * time.Microsecond
				}
			}
			out = append(out, p)
			continue
		}
		id := f.ev.Get("Unique-ID")
		if c := m[id]; c != "" {
			id = c
		}
		if id == "" {
			continue
		}
		if _, ok := first[id]; !ok {
			first[id] = stamp(f.ev)
		}
		count[id]++
		last[id] = legKey(f.ev)
	}
	return out
}

// jobSlack is how far a job's delay after its A leg's first event may
// differ from the capture's: the emulated SIP hop takes no time, the
// captured one about 20 ms, and FreeSWITCH's clock ticks every 20 ms.
const jobSlack = 100 * time.Millisecond

// compareJobs checks each BACKGROUND_JOB against the capture's, in
// order: its result, its position among its A leg's events and its delay
// after that leg's first event.
func (g *goldenRun) compareJobs(capture []capFrame) {
	t := g.t
	t.Helper()
	cj := jobPlaces(capture, identity(g.e2c))
	ej := jobPlaces(g.frames, g.e2c)
	if len(cj) != len(ej) {
		t.Errorf("BACKGROUND_JOBs: capture has %d, emulator %d", len(cj), len(ej))
	}
	for i := 0; i < len(cj) && i < len(ej); i++ {
		c, e := cj[i], ej[i]
		if c.result != e.result {
			t.Errorf("job %d result: capture %q, emulator %q", i, c.result, e.result)
		}
		if c.leg != e.leg || c.before != e.before || c.last != e.last {
			t.Errorf("job %d: capture after %s's event %d (%s), emulator after %s's event %d (%s)",
				i, c.leg, c.before, c.last, e.leg, e.before, e.last)
		}
		if d := c.delay - e.delay; d > jobSlack || d < -jobSlack {
			t.Errorf("job %d came %v after its A leg's first event, the capture's %v", i, e.delay, c.delay)
		}
	}
}
