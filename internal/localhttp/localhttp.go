// Package localhttp holds what switchio's HTTP endpoints (the Prometheus
// metrics, the live web view) share: the rule that they listen on
// loopback unless remote access is allowed, and a server that runs until
// its context ends and lets its goroutines be waited for.
package localhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// ErrNotLoopback is returned (wrapped) by CheckAddr for an address
// reachable from the network when remote access is not allowed.
var ErrNotLoopback = errors.New("not a loopback address")

// IsLoopback reports whether a listen host only accepts connections from
// this machine: "localhost" or a loopback IP. An empty host, an
// unspecified address (0.0.0.0, ::) and any other name or address are not.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckAddr checks a listen address ("host:port"; port 0 picks a free
// one). Unless allowRemote, the host must be "localhost" or a loopback IP:
// an empty host or an unspecified IP ("0.0.0.0", "::") listens on every
// interface, and a host name is refused because what it resolves to may
// change. what names the endpoint and why in the error.
func CheckAddr(addr string, allowRemote bool, what string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s address: %w", what, err)
	}
	if allowRemote || IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("%s address %q is %w: allow remote access to listen there", what, addr, ErrNotLoopback)
}

// HostAllowed reports whether a request's Host header (host or
// host:port) may be answered by an endpoint that checks it against DNS
// rebinding: an IP literal (which no one can rebind), "localhost", or one
// of names (case-insensitive; any port). A host name an attacker controls,
// resolved to this machine, is not, so a web page that rebinds its own
// name cannot read the endpoint; a scraper that addresses the server by
// IP, or by a name it was configured with, still can.
func HostAllowed(hostHeader string, names ...string) bool {
	h := hostHeader
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1] // an IPv6 literal without a port
	}
	if h == "" {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	for _, n := range names {
		if n != "" && strings.EqualFold(h, n) {
			return true
		}
	}
	return false
}

// HostGuard serves next only to requests whose Host passes HostAllowed
// with names; others get 403 and a one-line message.
func HostGuard(next http.Handler, names ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !HostAllowed(r.Host, names...) {
			http.Error(w, fmt.Sprintf("host %q is not this server's", r.Host), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ShutdownGrace bounds how long a request under way may finish once the
// server is stopped.
const ShutdownGrace = 2 * time.Second

// Server is an HTTP server started by Serve.
type Server struct {
	addr string
	done chan struct{}
	err  error
}

// Serve serves hs on ln until ctx ends (a request under way then gets
// ShutdownGrace to finish); after runs once serving has stopped, before
// Done is closed. hs's BaseContext is set to ctx.
func Serve(ctx context.Context, ln net.Listener, hs *http.Server, what string, after func()) *Server {
	hs.BaseContext = func(net.Listener) context.Context { return ctx }
	s := &Server{addr: ln.Addr().String(), done: make(chan struct{})}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	go func() {
		defer close(s.done)
		var err error
		select {
		case err = <-served:
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownGrace)
			if hs.Shutdown(sctx) != nil {
				_ = hs.Close()
			}
			cancel()
			err = <-served
		}
		if after != nil {
			after()
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.err = fmt.Errorf("%s: serving: %w", what, err)
		}
	}()
	return s
}

// Addr is the address the server listens on (with the port picked when
// the given one was 0).
func (s *Server) Addr() string { return s.addr }

// Done is closed once the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// Wait blocks until the server has stopped and returns why, if not
// because its context ended.
func (s *Server) Wait() error {
	<-s.done
	return s.err
}
