package esl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// guard bounds how long a test waits for something that should happen at
// once; reaching it means the call is stuck, not that it was slow.
const guard = 10 * time.Second

// countingConn counts the Write calls made on a net.Conn.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// pipeConn returns a started Conn over a net.Pipe (no handshake) and the
// server's end. A pipe has no buffer: a write blocks until the peer reads
// it, byte for byte, which makes "the peer stopped reading" exact.
func pipeConn(t *testing.T, cfg Config) (*Conn, net.Conn, *countingConn) {
	t.Helper()
	cli, srv := net.Pipe()
	cc := &countingConn{Conn: cli}
	c := newConn(cc, cfg.withDefaults())
	c.start()
	t.Cleanup(func() {
		srv.Close()
		c.Close()
	})
	return c, srv, cc
}

type apiResult struct {
	body string
	err  error
}

// goAPI runs c.API in a goroutine.
func goAPI(ctx context.Context, c *Conn, cmd string) <-chan apiResult {
	ch := make(chan apiResult, 1)
	go func() {
		body, err := c.API(ctx, cmd)
		ch <- apiResult{body, err}
	}()
	return ch
}

// await returns the result of a goAPI call, failing if it never comes.
func await(t *testing.T, ch <-chan apiResult, what string) apiResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(guard):
		t.Fatalf("%s: still blocked after %v", what, guard)
		return apiResult{}
	}
}

// waitUntil polls cond until it holds, failing if it never does.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// readFull reads exactly n raw bytes of the client's stream.
func readFull(t *testing.T, srv net.Conn, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(srv, b); err != nil {
		t.Fatalf("peer read: %v", err)
	}
	return b
}

// readCommand reads one command from the client, failing at EOF.
func readCommand(t *testing.T, r *wire.Reader) string {
	t.Helper()
	m, err := r.ReadCommand()
	if err != nil {
		t.Fatalf("peer: reading a command: %v", err)
	}
	return m.Command
}

// TestWriteCancelledMidWrite: a command whose ctx ends while its own frame
// is being written to a peer that stopped reading. Not started: dropped
// with ctx.Err(), never written, the connection goes on. Half written: the
// connection ends with ErrWriteTimeout. Whole: its reply slot is kept.
func TestWriteCancelledMidWrite(t *testing.T) {
	const frame = "api a\n\n"
	cases := []struct {
		name string
		read int // bytes of the frame the peer reads before the cancel
	}{
		{"not started", 0},
		{"one byte written", 1},
		{"all but one byte written", len(frame) - 1},
		{"whole frame written", len(frame)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, _ := pipeConn(t, Config{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res := goAPI(ctx, c, "a")
			if tc.read > 0 {
				if got := readFull(t, srv, tc.read); string(got) != frame[:tc.read] {
					t.Fatalf("peer read %q", got)
				}
			} else {
				waitUntil(t, "a is queued or being written", func() bool { s := c.Stats(); return s.Queued+s.InFlight == 1 })
			}
			if tc.read == len(frame) {
				waitUntil(t, "a is written", func() bool { return c.Stats().BytesWritten == uint64(len(frame)) })
			}
			cancel()
			r := await(t, res, "API a after cancel")
			midFrame := tc.read > 0 && tc.read < len(frame)
			if !midFrame {
				// Written whole: the caller is told which command got no
				// reply; not written: the bare ctx error.
				var nr *NoReplyError
				if tc.read == len(frame) {
					if !errors.As(r.err, &nr) || nr.Command != "api a" || !errors.Is(r.err, context.Canceled) {
						t.Fatalf("API a: %q %v, want a *NoReplyError for api a wrapping context.Canceled", r.body, r.err)
					}
				} else if r.err != context.Canceled {
					t.Fatalf("API a: %q %v, want context.Canceled", r.body, r.err)
				}
				// The connection goes on: the next command is b, and a
				// whole "a" reaches the peer only if it had started.
				pr := wire.NewReader(srv)
				resB := goAPI(testCtx(t), c, "b")
				if got := readCommand(t, pr); got != "api b" {
					t.Fatalf("peer got %q after the cancelled command, want api b", got)
				}
				if tc.read == len(frame) {
					srv.Write(wire.AppendAPIResponse(nil, []byte("late a\n"))) // discarded
				}
				srv.Write(wire.AppendAPIResponse(nil, []byte("b\n")))
				if r := await(t, resB, "API b"); r.err != nil || r.body != "b\n" {
					t.Fatalf("API b: %q %v", r.body, r.err)
				}
				if err := c.Err(); err != nil {
					t.Fatalf("connection ended: %v", err)
				}
				return
			}
			if !errors.Is(r.err, ErrWriteTimeout) || !errors.Is(r.err, ErrClosed) || !errors.Is(r.err, context.Canceled) {
				t.Fatalf("API a: %v, want ErrWriteTimeout, ErrClosed and context.Canceled", r.err)
			}
			<-c.Done()
			if !errors.Is(c.Err(), ErrWriteTimeout) {
				t.Fatalf("Err() = %v, want ErrWriteTimeout", c.Err())
			}
		})
	}
}

// TestWriteQueuedBehindBlockedWrite: while one command is stuck half
// written (the peer stopped reading), a command queued behind it whose
// deadline passes returns with the ctx error at once, and is never written.
func TestWriteQueuedBehindBlockedWrite(t *testing.T) {
	c, srv, _ := pipeConn(t, Config{})
	first := goAPI(testCtx(t), c, "first")
	readFull(t, srv, 1) // the writer is now inside the write of "first"

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r := await(t, goAPI(ctx, c, "second"), "API with a 200 ms deadline behind a blocked write")
	if r.err != context.DeadlineExceeded {
		t.Fatalf("second: %q %v, want context.DeadlineExceeded", r.body, r.err)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("connection ended: %v", err)
	}
	if s := c.Stats(); s.Queued != 0 || s.InFlight != 1 {
		t.Fatalf("stats %+v: want second withdrawn", s)
	}

	third := goAPI(testCtx(t), c, "third")
	waitUntil(t, "third is queued", func() bool { return c.Stats().Queued == 1 })
	pr := wire.NewReader(io.MultiReader(strings.NewReader("a"), srv))
	for _, want := range []string{"api first", "api third"} {
		if got := readCommand(t, pr); got != want {
			t.Fatalf("peer got %q, want %q (second must never be written)", got, want)
		}
	}
	srv.Write(wire.AppendAPIResponse(nil, []byte("1\n")))
	srv.Write(wire.AppendAPIResponse(nil, []byte("3\n")))
	if r := await(t, first, "first"); r.body != "1\n" || r.err != nil {
		t.Fatalf("first: %q %v", r.body, r.err)
	}
	if r := await(t, third, "third"); r.body != "3\n" || r.err != nil {
		t.Fatalf("third: %q %v", r.body, r.err)
	}
}

// TestWriteCancelInsideBatch: two commands written together; the second's
// ctx ends before anything of the batch reached the peer. What the peer
// later reads depends only on where the write stopped: at the batch's
// start, the second is dropped and the first written later; inside the
// first frame, the connection ends with ErrWriteTimeout.
func TestWriteCancelInsideBatch(t *testing.T) {
	for _, read := range []int{0, 1} {
		t.Run(map[int]string{0: "stopped before the batch", 1: "stopped inside the first frame"}[read], func(t *testing.T) {
			c, srv, _ := pipeConn(t, Config{})
			block := goAPI(testCtx(t), c, "block")
			readFull(t, srv, 1) // the writer is stuck in "block"
			a := goAPI(testCtx(t), c, "a")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			waitUntil(t, "a is queued", func() bool { return c.Stats().Queued == 1 })
			b := goAPI(ctx, c, "b")
			waitUntil(t, "a and b are queued", func() bool { return c.Stats().Queued == 2 })
			readFull(t, srv, len("api block\n\n")-1)
			// The writer takes a and b as one batch.
			waitUntil(t, "the batch is taken", func() bool { s := c.Stats(); return s.Queued == 0 && s.InFlight == 3 })
			if read > 0 {
				readFull(t, srv, read)
			}
			cancel()
			rb := await(t, b, "b after cancel")
			if read == 0 {
				if rb.err != context.Canceled {
					t.Fatalf("b: %v, want context.Canceled", rb.err)
				}
				pr := wire.NewReader(srv)
				if got := readCommand(t, pr); got != "api a" {
					t.Fatalf("peer got %q, want api a", got)
				}
				srv.Write(wire.AppendAPIResponse(nil, []byte("block\n")))
				srv.Write(wire.AppendAPIResponse(nil, []byte("a\n")))
				if r := await(t, block, "block"); r.body != "block\n" {
					t.Fatalf("block: %q %v", r.body, r.err)
				}
				if r := await(t, a, "a"); r.body != "a\n" {
					t.Fatalf("a: %q %v", r.body, r.err)
				}
				if s := c.Stats(); s.InFlight != 0 || s.Queued != 0 || c.Err() != nil {
					t.Fatalf("stats %+v, Err %v", s, c.Err())
				}
				return
			}
			if !errors.Is(rb.err, ErrWriteTimeout) || !errors.Is(rb.err, context.Canceled) {
				t.Fatalf("b: %v, want ErrWriteTimeout and context.Canceled", rb.err)
			}
			for name, ch := range map[string]<-chan apiResult{"block": block, "a": a} {
				if r := await(t, ch, name); !errors.Is(r.err, ErrClosed) || !errors.Is(r.err, ErrWriteTimeout) {
					t.Fatalf("%s: %v, want ErrClosed and ErrWriteTimeout", name, r.err)
				}
			}
		})
	}
}

// TestWriteDeadlineTCP is the reported case: a TCP peer that never reads,
// its socket buffers full under a large command. An API call with a 200 ms
// deadline returns with context.DeadlineExceeded instead of waiting for
// the write lock; the large command, cancelled half written, ends the
// connection with ErrWriteTimeout.
func TestWriteDeadlineTCP(t *testing.T) {
	stop := make(chan struct{})
	started := make(chan struct{})
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		// Read one byte of the large command (nothing else was sent after
		// auth, so the reader holds nothing buffered), then never again.
		if _, err := io.ReadFull(p.nc, make([]byte, 1)); err == nil {
			close(started)
		}
		<-stop
	})
	c := dialPeer(t, tp, Config{})
	t.Cleanup(func() { close(stop) })

	bigCtx, cancelBig := context.WithCancel(context.Background())
	defer cancelBig()
	big := make(chan error, 1)
	go func() {
		_, err := c.SendCommand(bigCtx, "sendevent CUSTOM", []wire.Header{{Name: "Event-Subclass", Value: "test::big"}}, bytes.Repeat([]byte("x"), 64<<20))
		big <- err
	}()
	select {
	case <-started: // the large command's write has begun; it cannot end
	case <-time.After(guard):
		t.Fatal("the large command never reached the peer")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r := await(t, goAPI(ctx, c, "status"), "API with a 200 ms deadline")
	if !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("API: %q %v, want context.DeadlineExceeded", r.body, r.err)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("connection ended: %v", err)
	}

	cancelBig()
	select {
	case err := <-big:
		if !errors.Is(err, ErrWriteTimeout) || !errors.Is(err, context.Canceled) {
			t.Fatalf("large command: %v, want ErrWriteTimeout and context.Canceled", err)
		}
	case <-time.After(guard):
		t.Fatal("large command still blocked after its cancel")
	}
	<-c.Done()
	if !errors.Is(c.Err(), ErrWriteTimeout) || !strings.Contains(c.Err().Error(), "sendevent CUSTOM") {
		t.Fatalf("Err() = %v", c.Err())
	}
}

// TestQueueFull: with CommandQueueSize commands pending, the next one fails
// at once with ErrQueueFull; the connection goes on and takes commands
// again once a reply frees a place.
func TestQueueFull(t *testing.T) {
	for _, size := range []int{1, 3} {
		t.Run(fmt.Sprintf("size %d", size), func(t *testing.T) {
			c, srv, _ := pipeConn(t, Config{CommandQueueSize: size})
			pr := wire.NewReader(srv)
			var pending []<-chan apiResult
			for i := range size {
				pending = append(pending, goAPI(testCtx(t), c, "p"))
				readCommand(t, pr)
				waitUntil(t, "written", func() bool { return c.Stats().InFlight == i+1 })
			}
			r := await(t, goAPI(testCtx(t), c, "over"), "API on a full queue")
			if !errors.Is(r.err, ErrQueueFull) {
				t.Fatalf("over the limit: %q %v, want ErrQueueFull", r.body, r.err)
			}
			if s := c.Stats(); s.QueueFull != 1 || s.InFlight != size || s.Queued != 0 {
				t.Fatalf("stats %+v", s)
			}
			srv.Write(wire.AppendAPIResponse(nil, []byte("p\n")))
			if r := await(t, pending[0], "first pending"); r.body != "p\n" {
				t.Fatalf("pending: %q %v", r.body, r.err)
			}
			again := goAPI(testCtx(t), c, "again")
			if got := readCommand(t, pr); got != "api again" {
				t.Fatalf("peer got %q", got)
			}
			for range size {
				srv.Write(wire.AppendAPIResponse(nil, []byte("p\n")))
			}
			if r := await(t, again, "again"); r.body != "p\n" || r.err != nil {
				t.Fatalf("again: %q %v", r.body, r.err)
			}
			if c.Err() != nil {
				t.Fatal(c.Err())
			}
		})
	}
}

// TestWritesBatched: commands queued while a write is blocked go out
// together in the next write, in FIFO order, each caller getting its own
// reply.
func TestWritesBatched(t *testing.T) {
	c, srv, cc := pipeConn(t, Config{})
	first := goAPI(testCtx(t), c, "first")
	readFull(t, srv, 1)
	names := []string{"b1", "b2", "b3", "b4", "b5"}
	var res []<-chan apiResult
	for i, n := range names {
		res = append(res, goAPI(testCtx(t), c, n))
		waitUntil(t, n+" queued", func() bool { return c.Stats().Queued == i+1 })
	}
	pr := wire.NewReader(io.MultiReader(strings.NewReader("a"), srv))
	if got := readCommand(t, pr); got != "api first" {
		t.Fatalf("peer got %q", got)
	}
	var got []string
	for range names {
		got = append(got, strings.TrimPrefix(readCommand(t, pr), "api "))
	}
	if w := cc.writes.Load(); w != 2 {
		t.Fatalf("%d writes for 6 commands, want 2 (the 5 queued ones batched)", w)
	}
	// Answer in wire order: each caller must get the reply to its own
	// command.
	srv.Write(wire.AppendAPIResponse(nil, []byte("first")))
	for _, n := range got {
		srv.Write(wire.AppendAPIResponse(nil, []byte(n)))
	}
	if r := await(t, first, "first"); r.body != "first" {
		t.Fatalf("first: %q %v", r.body, r.err)
	}
	for i, n := range names {
		if r := await(t, res[i], n); r.body != n || r.err != nil {
			t.Fatalf("%s: %q %v", n, r.body, r.err)
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("peer got %v", got)
	}
}

// TestCloseRacingCancel: commands whose ctx ends while the connection is
// closing get one result each, and a request recycled by one of them never
// receives the closing connection's failure later: a healthy connection
// using requests after them gets its own replies.
func TestCloseRacingCancel(t *testing.T) {
	tp := newTestPeer(t, func(p *peerConn) {
		p.authOK()
		for m := p.read(); m != nil; m = p.read() {
			p.api(m.Command)
		}
	})
	healthy := dialPeer(t, tp, Config{})
	for i := range 100 {
		c, srv, _ := pipeConn(t, Config{})
		block := goAPI(testCtx(t), c, "block")
		readFull(t, srv, 1) // the writer is stuck: the next ones stay queued
		ctx, cancel := context.WithCancel(context.Background())
		var queued []<-chan apiResult
		for range 8 {
			queued = append(queued, goAPI(ctx, c, "q"))
		}
		waitUntil(t, "queued", func() bool { return c.Stats().Queued == 8 })
		closed := make(chan struct{})
		go func() { c.Close(); close(closed) }()
		cancel()
		for _, ch := range append(queued, block) {
			if r := await(t, ch, "queued command"); r.err == nil {
				t.Fatalf("round %d: command on a closed connection succeeded: %q", i, r.body)
			}
		}
		select {
		case <-closed:
		case <-time.After(guard):
			t.Fatalf("round %d: Close never returned (a result sent to a recycled request blocked it)", i)
		}
		for j := range 8 {
			cmd := fmt.Sprintf("check %d %d", i, j)
			if got, err := healthy.API(testCtx(t), cmd); err != nil || got != "api "+cmd {
				t.Fatalf("round %d: healthy connection: %q %v", i, got, err)
			}
		}
	}
}
