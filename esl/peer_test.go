package esl

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const capturesDir = "../testdata/captures"

// chunk is one TCP read or write of a recorded dialog.
type chunk struct {
	toServer bool // C->S
	data     []byte
}

// loadDialog parses NAME.dialog.txt: "### <dir> t=<ms> len=<n>\n", n bytes, "\n".
func loadDialog(t testing.TB, name string) []chunk {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(capturesDir, name+".dialog.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []chunk
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 || !bytes.HasPrefix(b, []byte("### ")) {
			t.Fatalf("%s: bad dialog line %q", name, b[:min(len(b), 40)])
		}
		f := strings.Fields(string(b[4:nl]))
		n, err := strconv.Atoi(strings.TrimPrefix(f[2], "len="))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, chunk{toServer: f[0] == "C->S", data: b[nl+1 : nl+1+n]})
		b = b[nl+1+n:]
		b = bytes.TrimPrefix(b, []byte("\n"))
	}
	return out
}

// readRX returns the bytes of NAME.rx.txt.
func readRX(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(capturesDir, name+".rx.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// peerConn is the server side (or, for outbound tests, FreeSWITCH's side)
// of one scripted connection.
type peerConn struct {
	t  testing.TB
	nc net.Conn
	r  *wire.Reader
}

func newPeerConn(t testing.TB, nc net.Conn) *peerConn {
	return &peerConn{t: t, nc: nc, r: wire.NewReader(nc)}
}

// read reads one client command; nil at EOF.
func (p *peerConn) read() *wire.Message {
	m, err := p.r.ReadCommand()
	if err != nil {
		return nil
	}
	return m
}

// expect reads a command and checks its first line.
func (p *peerConn) expect(cmd string) *wire.Message {
	m := p.read()
	if m == nil {
		p.t.Errorf("peer: want %q, got EOF", cmd)
		return &wire.Message{}
	}
	if m.Command != cmd {
		p.t.Errorf("peer: want command %q, got %q", cmd, m.Command)
	}
	return m
}

func (p *peerConn) write(b []byte) {
	p.nc.Write(b) // errors surface on the client side
}

func (p *peerConn) reply(text string, extra ...wire.Header) {
	p.write(wire.AppendReply(nil, text, extra...))
}

func (p *peerConn) api(body string) { p.write(wire.AppendAPIResponse(nil, []byte(body))) }

func (p *peerConn) event(f wire.Format, e *wire.Event) { p.write(wire.AppendEventFrame(nil, f, e)) }

// authOK plays the start of 01_auth_ok.
func (p *peerConn) authOK() {
	p.write([]byte("Content-Type: auth/request\n\n"))
	p.expect("auth ClueCon")
	p.reply("+OK accepted")
}

// replay plays a recorded dialog: each C->S chunk is matched, command by
// command, against what the client sends (command line, headers in order
// and body must be equal), and each S->C chunk is written verbatim.
func (p *peerConn) replay(dialog []chunk) {
	for i, c := range dialog {
		if !c.toServer {
			p.write(c.data)
			continue
		}
		want := wire.NewReader(bytes.NewReader(c.data))
		for {
			w, err := want.ReadCommand()
			if err != nil {
				break
			}
			got := p.read()
			if got == nil {
				p.t.Errorf("peer: chunk %d: want %q, client closed", i, w.Command)
				return
			}
			if got.Command != w.Command || fmt.Sprint(got.Headers) != fmt.Sprint(w.Headers) || !bytes.Equal(got.Body, w.Body) {
				p.t.Errorf("peer: chunk %d:\n got %q %v %q\nwant %q %v %q", i, got.Command, got.Headers, got.Body, w.Command, w.Headers, w.Body)
				return
			}
		}
	}
}

// testPeer is a scripted ESL server on 127.0.0.1. Each accepted connection
// is handed to script in its own goroutine; Cleanup waits for them.
type testPeer struct {
	ln   net.Listener
	addr string
	wg   sync.WaitGroup
}

func newTestPeer(t testing.TB, script func(p *peerConn)) *testPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &testPeer{ln: ln, addr: ln.Addr().String()}
	tp.wg.Add(1)
	go func() {
		defer tp.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			tp.wg.Add(1)
			go func() {
				defer tp.wg.Done()
				defer nc.Close()
				script(newPeerConn(t, nc))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		tp.wg.Wait()
	})
	return tp
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dialPeer(t testing.TB, tp *testPeer, cfg Config) *Conn {
	t.Helper()
	if cfg.Password == "" {
		cfg.Password = "ClueCon"
	}
	c, err := Dial(testCtx(t), tp.addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
