package promexport

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/switchio/switchio/internal/localhttp"
)

// Path is where Serve exposes the metrics.
const Path = "/metrics"

// ErrNotLoopback is returned (wrapped) by CheckAddr and Serve for an
// address reachable from the network when remote access is not allowed.
var ErrNotLoopback = localhttp.ErrNotLoopback

// CheckAddr checks a listen address ("host:port"; port 0 picks a free
// one). Unless allowRemote, the host must be "localhost" or a loopback IP:
// an empty host or an unspecified IP ("0.0.0.0", "::") listens on every
// interface, and a host name is refused because what it resolves to may
// change.
func CheckAddr(addr string, allowRemote bool) error {
	return localhttp.CheckAddr(addr, allowRemote, "promexport: metrics")
}

// Server is a metrics endpoint started by Serve: Addr tells where, Wait
// and Done when it has stopped.
type Server = localhttp.Server

// Serve checks addr (see CheckAddr), listens on it and serves h at Path
// (other paths: 404) until ctx ends. It returns once the listener is
// bound, so the endpoint can be scraped at once and Addr tells the port
// that port 0 picked. When ctx ends the server stops (a scrape under way
// gets a moment to finish) and its goroutines exit; Wait waits for that.
//
// A request is answered only if its Host header is an IP literal,
// localhost, addr's host or one of names (any port); any other gets 403.
// A web page the user opens cannot so read the metrics by rebinding its
// own host name to this machine (DNS rebinding), while Prometheus, which
// scrapes a target by the address it was given (a pod's IP, or a name to
// list in names), still can.
func Serve(ctx context.Context, addr string, allowRemote bool, h http.Handler, names ...string) (*Server, error) {
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
	host, _, _ := net.SplitHostPort(addr)
	hs := &http.Server{Handler: localhttp.HostGuard(mux, append([]string{host}, names...)...), ReadHeaderTimeout: 10 * time.Second}
	return localhttp.Serve(ctx, ln, hs, "promexport", nil), nil
}
