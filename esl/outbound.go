package esl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// OutboundConn is a connection FreeSWITCH opened to a Server because a
// channel ran the "socket" application. It has every command of Conn (the
// embedded *Conn) plus the session-only commands. FreeSWITCH already
// authenticated it; the channel's data was read by "connect".
type OutboundConn struct {
	*Conn
	data *Event
}

// ChannelData returns the channel's data as sent in reply to "connect":
// every header of that reply, values URL-decoded, in wire order.
func (c *OutboundConn) ChannelData() *Event { return c.data }

// UUID returns the controlled channel's Unique-ID.
func (c *OutboundConn) UUID() string { return c.data.UniqueID() }

// MyEvents sends "myevents": FreeSWITCH sends this channel's events (a fixed
// list of channel events plus DTMF) in plain format.
func (c *OutboundConn) MyEvents(ctx context.Context) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if _, err := c.command(ctx, "myevents"); err != nil {
		return err
	}
	c.format = wire.FormatPlain
	return nil
}

// Linger sends "linger <seconds>" (or bare "linger" when d is 0): after
// the channel hangs up FreeSWITCH keeps the socket open that long so the
// last events arrive. The linger disconnect-notice does not end the
// connection; Lingering() reports it.
func (c *OutboundConn) Linger(ctx context.Context, d time.Duration) error {
	cmd := "linger"
	if d > 0 {
		cmd += " " + strconv.Itoa(int((d+time.Second-1)/time.Second))
	}
	_, err := c.command(ctx, cmd)
	return err
}

// NoLinger sends "nolinger".
func (c *OutboundConn) NoLinger(ctx context.Context) error {
	_, err := c.command(ctx, "nolinger")
	return err
}

// GetVar returns the channel variable name ("getvar"). FreeSWITCH answers
// in a 512-byte reply buffer, so long values are truncated; use the
// channel data or api uuid_getvar for those. An unset variable is "".
func (c *OutboundConn) GetVar(ctx context.Context, name string) (string, error) {
	v, err := c.command(ctx, "getvar "+name)
	if err != nil {
		return "", err
	}
	if v == "_undef_" {
		return "", nil
	}
	return v, nil
}

// Resume sends "resume": when the socket application ends, the channel
// continues its dialplan instead of hanging up.
func (c *OutboundConn) Resume(ctx context.Context) error {
	_, err := c.command(ctx, "resume")
	return err
}

// Lingering is closed when FreeSWITCH sent the linger disconnect-notice:
// the channel has hung up, the remaining events follow, then the final
// notice ends the connection.
func (c *OutboundConn) Lingering() <-chan struct{} { return c.linger }

// Server accepts outbound event-socket connections (FreeSWITCH's "socket"
// dialplan application). For each one it sends "connect", then calls
// Handler with the connection; the connection is closed when Handler
// returns.
type Server struct {
	// Addr is the listen address for ListenAndServe, e.g. "127.0.0.1:8084".
	Addr string
	// Handler serves one channel. ctx is cancelled when the server closes.
	Handler func(ctx context.Context, c *OutboundConn)
	// Config applies to every connection. Password and Dial* are unused;
	// AuthTimeout bounds the connect exchange.
	Config Config

	mu     sync.Mutex
	lns    map[net.Listener]struct{}
	conns  map[*OutboundConn]struct{}
	cancel []context.CancelFunc
	closed bool
}

// ErrServerClosed is returned by Serve and ListenAndServe after Close.
var ErrServerClosed = errors.New("esl: server closed")

// ListenAndServe listens on s.Addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx ends or Close is called, then
// closes ln, cancels the handlers' context, closes their connections and
// waits for them to return. It returns ErrServerClosed (or ctx.Err()) then,
// or the accept error that stopped it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Handler == nil {
		return errors.New("esl: Server.Handler is nil")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	if s.lns == nil {
		s.lns = map[net.Listener]struct{}{}
		s.conns = map[*OutboundConn]struct{}{}
	}
	s.lns[ln] = struct{}{}
	s.cancel = append(s.cancel, cancel)
	s.mu.Unlock()

	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	cfg := s.Config.withDefaults()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			delete(s.lns, ln)
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			ln.Close()
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, nc, cfg)
		}()
	}
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn, cfg Config) {
	oc, err := accept(ctx, nc, cfg)
	if err != nil {
		cfg.Logger.Warn("esl: outbound connect failed", "remote", nc.RemoteAddr().String(), "err", err)
		nc.Close()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		oc.Close()
		return
	}
	s.conns[oc] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, oc)
		s.mu.Unlock()
		oc.Close()
	}()
	stop := context.AfterFunc(ctx, func() { oc.Close() })
	defer stop()
	s.Handler(ctx, oc)
}

// accept performs the "connect" exchange on a fresh outbound socket.
func accept(ctx context.Context, nc net.Conn, cfg Config) (*OutboundConn, error) {
	c := newConn(nc, cfg)
	var data *Event
	err := c.handshake(ctx, func() error {
		buf := wire.AppendCommand(nil, "connect", nil, nil)
		c.hsWait = "the reply to \"connect\""
		n, err := nc.Write(buf)
		c.bytesWritten.Add(uint64(n))
		if err != nil {
			return fmt.Errorf("esl: writing connect: %w", err)
		}
		m, err := c.readHandshakeFrame()
		if err != nil {
			return err
		}
		if m.ContentType() != wire.TypeCommandReply {
			return &wire.ProtocolError{Msg: "expected connect reply, got " + strconv.Quote(m.ContentType())}
		}
		if rt := wire.URLDecode(m.ReplyText()); !strings.HasPrefix(rt, "+OK") {
			return &CommandError{Command: "connect", Reply: strings.TrimSpace(rt)}
		}
		data = &Event{Headers: make([]wire.Header, 0, len(m.Headers))}
		for _, h := range m.Headers {
			data.Headers = append(data.Headers, wire.Header{Name: h.Name, Value: wire.URLDecode(h.Value)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.start()
	return &OutboundConn{Conn: c, data: data}, nil
}

// Close stops every Serve call, closes all outbound connections and
// returns; the Serve calls return ErrServerClosed once their handlers
// have returned.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	lns := s.lns
	conns := s.conns
	cancels := s.cancel
	s.lns, s.conns, s.cancel = map[net.Listener]struct{}{}, map[*OutboundConn]struct{}{}, nil
	s.mu.Unlock()
	for ln := range lns {
		ln.Close()
	}
	for _, cancel := range cancels {
		cancel()
	}
	for oc := range conns {
		oc.fail(ErrClosed)
	}
	return nil
}
