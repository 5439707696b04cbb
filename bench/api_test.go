package bench

import (
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/percipia/eslgo"
	"github.com/percipia/eslgo/command"
	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
)

// Goroutines issuing api calls on one connection: a few, as an
// application's handlers, and many, as a load generator's.
const (
	apiClients     = 8
	apiClientsMany = 64
)

// BenchmarkAPIRoundTrip measures pipelined "api" calls from 8 goroutines
// sharing one loopback TCP connection to a fake server that answers each
// "api X" with an api/response "+OK X\n". One op is one call.
func BenchmarkAPIRoundTrip(b *testing.B) { benchAPI(b, apiClients) }

// BenchmarkAPIRoundTripMany is BenchmarkAPIRoundTrip with 64 goroutines:
// more commands are queued at once, so how a client writes them (one
// write per command or several per write) matters more.
func BenchmarkAPIRoundTripMany(b *testing.B) { benchAPI(b, apiClientsMany) }

func benchAPI(b *testing.B, clients int) {
	b.Run("switchio-conn", func(b *testing.B) {
		srv := startServer(b, 0)
		defer srv.close()
		c, err := esl.Dial(context.Background(), srv.addr(), esl.Config{Password: "ClueCon"})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		runAPI(b, clients, func(ctx context.Context, cmd string) (string, error) { return c.API(ctx, cmd) })
	})
	b.Run("switchio-wire", func(b *testing.B) {
		srv := startServer(b, 0)
		defer srv.close()
		c := dialWire(b, srv.addr())
		defer c.close()
		runAPI(b, clients, func(_ context.Context, cmd string) (string, error) { return c.api(cmd) })
	})
	b.Run("eslgo", func(b *testing.B) {
		srv := startServer(b, 0)
		defer srv.close()
		opts := eslgo.DefaultInboundOptions
		opts.Logger = nil
		c, err := opts.Dial(srv.addr())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		// eslgo hands each reply to whichever caller is waiting, not
		// necessarily the one that sent the command (its replies carry no
		// correlation): the count of round trips is right, the pairing is
		// not checked.
		runAPI(b, clients, func(ctx context.Context, cmd string) (string, error) {
			r, err := c.SendCommand(ctx, command.API{Command: cmd})
			if err != nil {
				return "", err
			}
			if !strings.HasPrefix(string(r.Body), "+OK status") {
				return string(r.Body), nil
			}
			return "+OK " + cmd + "\n", nil
		})
	})
}

// runAPI issues b.N calls from clients goroutines and checks the answers.
func runAPI(b *testing.B, clients int, call func(ctx context.Context, cmd string) (string, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	cmds := make([]string, clients)
	for i := range cmds {
		cmds[i] = "status" + strings.Repeat("x", i)
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for g := 0; g < clients; g++ {
		wg.Add(1)
		go func(cmd string) {
			defer wg.Done()
			want := "+OK " + cmd + "\n"
			for next.Add(1) <= int64(b.N) {
				got, err := call(ctx, cmd)
				if err != nil || got != want {
					failed.CompareAndSwap(nil, err)
					if err == nil {
						failed.CompareAndSwap(nil, io.ErrUnexpectedEOF)
					}
					return
				}
			}
		}(cmds[g])
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
}

// wireClient is a pipelined api client written on the wire codec alone:
// commands are written under a lock that also queues the caller's reply
// slot, and one reader goroutine hands replies out in order (ESL answers
// commands in the order they were sent).
type wireClient struct {
	nc      net.Conn
	mu      sync.Mutex
	buf     []byte
	pending chan chan *wire.Message
	done    chan struct{}
	slots   sync.Pool
}

func dialWire(b *testing.B, addr string) *wireClient {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	rd := wire.NewReader(nc)
	if m, err := rd.ReadMessage(); err != nil || m.ContentType() != wire.TypeAuthRequest {
		b.Fatal(m, err)
	}
	nc.Write(wire.AppendCommand(nil, "auth ClueCon", nil, nil))
	if m, err := rd.ReadMessage(); err != nil || !strings.HasPrefix(m.ReplyText(), "+OK") {
		b.Fatal(m, err)
	}
	c := &wireClient{nc: nc, pending: make(chan chan *wire.Message, 1024), done: make(chan struct{})}
	c.slots.New = func() any { return make(chan *wire.Message, 1) }
	go func() {
		defer close(c.done)
		for {
			m, err := rd.ReadMessage()
			if err != nil {
				for {
					select {
					case ch := <-c.pending:
						ch <- nil
					default:
						return
					}
				}
			}
			(<-c.pending) <- m
		}
	}()
	return c
}

func (c *wireClient) api(cmd string) (string, error) {
	ch := c.slots.Get().(chan *wire.Message)
	c.mu.Lock()
	c.buf = append(append(append(c.buf[:0], "api "...), cmd...), "\n\n"...)
	c.pending <- ch
	_, err := c.nc.Write(c.buf)
	c.mu.Unlock()
	if err != nil {
		return "", err
	}
	m := <-ch
	c.slots.Put(ch)
	if m == nil {
		return "", io.ErrUnexpectedEOF
	}
	return string(m.Body), nil
}

func (c *wireClient) close() {
	c.nc.Close()
	<-c.done
}
