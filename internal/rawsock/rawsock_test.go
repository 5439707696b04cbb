package rawsock_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/switchio/switchio/internal/rawsock"
)

// pair returns a wrapped client socket and the server's end of it.
func pair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	c := rawsock.Wrap(nc)
	t.Cleanup(func() { c.Close(); peer.Close() })
	return c, peer
}

func TestWrapIsRawOnLinux(t *testing.T) {
	c, _ := pair(t)
	_, raw := c.(*rawsock.Conn)
	if raw != (runtime.GOOS == "linux") {
		t.Fatalf("Wrap gave %T on %s", c, runtime.GOOS)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if got := rawsock.Wrap(a); got != a {
		t.Fatalf("a pipe was wrapped: %T", got)
	}
}

// Bytes cross both ways whole and in order, through waits for room: the
// 8 MiB write outgrows the socket buffers while the peer reads slowly.
func TestReadWriteRoundTrip(t *testing.T) {
	c, peer := pair(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	got := make(chan []byte, 1)
	go func() {
		var buf bytes.Buffer
		chunk := make([]byte, 4096)
		for buf.Len() < len(big) {
			n, err := peer.Read(chunk)
			buf.Write(chunk[:n])
			if err != nil {
				break
			}
			if buf.Len() < 1<<16 {
				time.Sleep(time.Millisecond) // slow at first: the writer must wait
			}
		}
		got <- buf.Bytes()
	}()
	if n, err := c.Write(big); err != nil || n != len(big) {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatalf("peer read %d bytes, not what was written", len(b))
	}
	if _, err := peer.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 16)
	n, err := io.ReadAtLeast(c, b, 5)
	if err != nil || string(b[:n]) != "hello" {
		t.Fatalf("Read: %q, %v", b[:n], err)
	}
}

func TestWriteBuffers(t *testing.T) {
	c, peer := pair(t)
	var want []byte
	var bufs net.Buffers
	for i := range 3000 { // more than one writev's worth of buffers
		b := []byte{byte(i), byte(i >> 8), '\n'}
		if i%7 == 0 {
			b = nil // empty buffers are skipped
		}
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(io.LimitReader(peer, int64(len(want)))); got <- b }()
	n, err := rawsock.WriteBuffers(c, &bufs)
	if err != nil || n != int64(len(want)) || len(bufs) != 0 {
		t.Fatalf("WriteBuffers: %d of %d, %v, %d buffers left", n, len(want), err, len(bufs))
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatal("the peer read other bytes than were written")
	}
}

// Ends and errors look as they do on a net.Conn, so callers branching on
// io.EOF, deadlines and net.ErrClosed work the same.
func TestErrorsAsNet(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(c, peer net.Conn) error
		is   error
	}{
		{"peer closed: EOF", func(c, peer net.Conn) error {
			peer.Close()
			_, err := c.Read(make([]byte, 8))
			return err
		}, io.EOF},
		{"read deadline", func(c, peer net.Conn) error {
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := c.Read(make([]byte, 8))
			return err
		}, os.ErrDeadlineExceeded},
		{"closed during a read", func(c, peer net.Conn) error {
			go func() { time.Sleep(20 * time.Millisecond); c.Close() }()
			_, err := c.Read(make([]byte, 8))
			return err
		}, net.ErrClosed},
		{"write deadline past", func(c, peer net.Conn) error {
			c.SetWriteDeadline(time.Unix(1, 0))
			_, err := c.Write(make([]byte, 64<<20))
			return err
		}, os.ErrDeadlineExceeded},
		{"write after close", func(c, peer net.Conn) error {
			c.Close()
			_, err := c.Write([]byte("x"))
			return err
		}, net.ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, peer := pair(t)
			err := tc.do(c, peer)
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v (%T), want %v", err, err, tc.is)
			}
			if tc.is == os.ErrDeadlineExceeded {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Fatalf("%v is not a timeout", err)
				}
			}
		})
	}
}

// A peer that resets the connection gives an error, never a panic or a
// hang, however much is written.
func TestWriteToResetPeer(t *testing.T) {
	c, peer := pair(t)
	peer.(*net.TCPConn).SetLinger(0)
	peer.Close()
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = c.Write(make([]byte, 1<<16))
	}
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("writes to a reset peer: %v", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "write" {
		t.Fatalf("error %v (%T) is not a write *net.OpError", err, err)
	}
}

func TestUnread(t *testing.T) {
	c, peer := pair(t)
	if runtime.GOOS != "linux" {
		if _, ok := rawsock.Unread(c); ok {
			t.Fatal("Unread answered off Linux")
		}
		return
	}
	if n, ok := rawsock.Unread(c); !ok || n != 0 {
		t.Fatalf("Unread of an idle socket: %d, %v", n, ok)
	}
	if _, err := peer.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	n, _ := rawsock.Unread(c)
	for n < 1000 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		n, _ = rawsock.Unread(c)
	}
	if n != 1000 {
		t.Fatalf("Unread after the peer wrote 1000 bytes: %d", n)
	}
	if _, err := io.ReadFull(c, make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if n, _ := rawsock.Unread(c); n != 400 {
		t.Fatalf("Unread after reading 600: %d, want 400", n)
	}
}
