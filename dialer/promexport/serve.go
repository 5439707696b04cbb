package promexport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Path is where Serve exposes the metrics.
const Path = "/metrics"

// ErrNotLoopback is returned (wrapped) by CheckAddr and Serve for an
// address reachable from the network when remote access is not allowed.
var ErrNotLoopback = errors.New("not a loopback address")

// CheckAddr checks a listen address ("host:port"; port 0 picks a free
// one). Unless allowRemote, the host must be "localhost" or a loopback IP:
// an empty host or an unspecified IP ("0.0.0.0", "::") listens on every
// interface, and a host name is refused because what it resolves to may
// change.
func CheckAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("promexport: metrics address: %w", err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("promexport: metrics address %q is %w: the metrics would be reachable from the network, allow remote access to listen there", addr, ErrNotLoopback)
}

// Server is a metrics endpoint started by Serve.
type Server struct {
	addr string
	done chan struct{}
	err  error
}

// shutdownGrace bounds how long a scrape under way may finish once the
// server is stopped.
const shutdownGrace = 2 * time.Second

// Serve checks addr (see CheckAddr), listens on it and serves h at Path
// (other paths: 404) until ctx ends. It returns once the listener is
// bound, so the endpoint can be scraped at once and Addr tells the port
// that port 0 picked. When ctx ends the server stops (a scrape under way
// gets a moment to finish) and its goroutines exit; Wait waits for that.
func Serve(ctx context.Context, addr string, allowRemote bool, h http.Handler) (*Server, error) {
	if err := CheckAddr(addr, allowRemote); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("promexport: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(Path, h)
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s := &Server{addr: ln.Addr().String(), done: make(chan struct{})}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	go func() {
		defer close(s.done)
		var err error
		select {
		case err = <-served:
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
			if hs.Shutdown(sctx) != nil {
				_ = hs.Close()
			}
			cancel()
			err = <-served
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.err = fmt.Errorf("promexport: serving metrics: %w", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on (with the port picked when
// the given one was 0).
func (s *Server) Addr() string { return s.addr }

// Wait blocks until the server has stopped (after its context ended, or
// if serving failed) and returns why it stopped, if not because of the
// context.
func (s *Server) Wait() error {
	<-s.done
	return s.err
}

// Done is closed once the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }
