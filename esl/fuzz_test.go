package esl

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzConnStream feeds arbitrary server bytes to a connection with a few
// requests in flight: it must end (or answer) without panicking, hanging
// or leaking goroutines.
func FuzzConnStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(capturesDir, "*.rx.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err == nil {
			f.Add(b[:min(len(b), 8192)])
		}
	}
	f.Add([]byte("Content-Type: api/response\nContent-Length: 99999999999\n\n"))
	f.Add([]byte("Content-Type: command/reply\n\nContent-Type: command/reply\n\nContent-Type: command/reply\n\n"))
	f.Add([]byte("Content-Length: 3\nContent-Type: text/event-xml\n\n<a>"))
	f.Add([]byte("Content-Type: text/disconnect-notice\nContent-Disposition: linger\nContent-Length: 0\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := net.Pipe()
		c := newConn(cli, Config{EventQueueSize: 4}.withDefaults())
		c.start()
		go io.Copy(io.Discard, srv)
		res := make(chan error, 2)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for range 2 {
			go func() { _, err := c.API(ctx, "x"); res <- err }()
		}
		srv.Write(data)
		srv.Close()
		select {
		case <-c.Done():
		case <-time.After(2 * time.Second):
			t.Fatal("connection did not end")
		}
		if c.Err() == nil {
			t.Fatal("ended without Err")
		}
		<-res
		<-res
		c.Close()
	})
}
