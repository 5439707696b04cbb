package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/internal/localhttp"
)

// TokenHeader is the request header that carries the server's token on
// every request that changes the run.
const TokenHeader = "X-Switchio-Token"

// MaxBody bounds a request's body (bytes): the controls send a few
// numbers.
const MaxBody = 4 << 10

// ErrNotLoopback is returned (wrapped) by CheckAddr and Serve for an
// address reachable from the network when remote access is not allowed.
var ErrNotLoopback = localhttp.ErrNotLoopback

// CheckAddr checks a listen address ("host:port"; port 0 picks a free
// one). Unless allowRemote, the host must be "localhost" or a loopback IP:
// an empty host or an unspecified IP listens on every interface, and a
// host name is refused because what it resolves to may change.
func CheckAddr(addr string, allowRemote bool) error {
	return localhttp.CheckAddr(addr, allowRemote, "web: listen")
}

// Server is a live view started by Serve.
type Server struct {
	d        *dialer.Originator
	addr     string
	token    string
	loopback bool // the page may carry the token
	hosts    map[string]bool
	anyIP    bool // wildcard listen address: any IP literal with the port
	port     string
	hist     *history
	srv      *localhttp.Server
}

// Serve checks addr (see CheckAddr), listens on it and serves d's live
// view until ctx ends. It returns once the listener is bound, so the page
// can be opened at once (URL) and Addr tells the port that port 0 picked.
// When ctx ends the server stops (a request under way gets a moment to
// finish) and its goroutines exit; Wait waits for that. It never closes
// nor stops d.
func Serve(ctx context.Context, addr string, allowRemote bool, d *dialer.Originator) (*Server, error) {
	if d == nil {
		return nil, errors.New("web: no dialer")
	}
	if err := CheckAddr(addr, allowRemote); err != nil {
		return nil, err
	}
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("web: token: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s := &Server{d: d, addr: ln.Addr().String(), token: hex.EncodeToString(tok), hist: newHistory(historyLen)}
	host, _, _ := net.SplitHostPort(addr)
	_, s.port, _ = net.SplitHostPort(s.addr)
	s.loopback = localhttp.IsLoopback(host)
	s.hosts = map[string]bool{
		s.addr:                                true,
		net.JoinHostPort(host, s.port):        true,
		net.JoinHostPort("localhost", s.port): true,
		net.JoinHostPort("127.0.0.1", s.port): true,
		net.JoinHostPort("::1", s.port):       true,
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		s.anyIP = true
	}
	hs := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.hist.run(ctx, d) })
	s.srv = localhttp.Serve(ctx, ln, hs, "web", wg.Wait)
	return s, nil
}

// Addr is the address the server listens on (with the port picked when
// the given one was 0).
func (s *Server) Addr() string { return s.addr }

// Token is the secret every request that changes the run must carry in
// the TokenHeader header. Print it for the user; never log it elsewhere.
func (s *Server) Token() string { return s.token }

// URL is the page's address to open, with the token in its fragment
// (which a browser sends neither to the server nor in a Referer): on a
// loopback address the page carries the token itself, elsewhere it reads
// it from there.
func (s *Server) URL() string {
	host := s.addr
	if s.anyIP {
		host = net.JoinHostPort("127.0.0.1", s.port)
	}
	return "http://" + host + "/#token=" + s.token
}

// Wait blocks until the server has stopped (after its context ended, or
// if serving failed) and returns why it stopped, if not because of the
// context.
func (s *Server) Wait() error { return s.srv.Wait() }

// Done is closed once the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.srv.Done() }

// allowedHost tells whether a request's Host names this server.
func (s *Server) allowedHost(h string) bool {
	h = strings.ToLower(h)
	if s.hosts[h] {
		return true
	}
	if !s.anyIP {
		return false
	}
	host, port, err := net.SplitHostPort(h)
	return err == nil && port == s.port && net.ParseIP(host) != nil
}

// guard refuses, with 403, a request whose Host does not name this
// server or whose Origin is another site's, and sets the headers every
// response carries.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		if !s.allowedHost(r.Host) {
			httpError(w, http.StatusForbidden, "host %q is not this server's", r.Host)
			return
		}
		if o, ok := r.Header["Origin"]; ok && (len(o) != 1 || !strings.EqualFold(o[0], "http://"+r.Host)) {
			httpError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized tells whether r carries the token.
func (s *Server) authorized(r *http.Request) bool {
	t := r.Header.Get(TokenHeader)
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}

// httpError answers a one-line plain-text error.
func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	msg = strings.ReplaceAll(msg, "\n", " ")
	http.Error(w, msg, code)
}
