package esl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// Dial connects to FreeSWITCH at addr (host:port), waits for auth/request
// and authenticates with cfg.Password. ctx bounds the whole handshake; it
// does not bound the connection's life afterwards (use Close).
func Dial(ctx context.Context, addr string, cfg Config) (*Conn, error) {
	cfg = cfg.withDefaults()
	if strings.ContainsAny(cfg.Password, "\r\n") {
		return nil, fmt.Errorf("%w: password contains a line break", ErrAuth)
	}
	d := net.Dialer{}
	if cfg.Dialer != nil {
		d = *cfg.Dialer
	}
	d.Timeout = cfg.DialTimeout
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, fmt.Errorf("%w: dial %s: %w", ErrTimeout, addr, ctx.Err())
		case ctx.Err() != nil:
			return nil, fmt.Errorf("esl: dial %s: %w", addr, ctx.Err())
		case errors.Is(err, syscall.ECONNREFUSED):
			return nil, fmt.Errorf("%w: %w", ErrRefused, err)
		case isTimeout(err):
			return nil, fmt.Errorf("%w: dial %s: %w", ErrTimeout, addr, err)
		}
		return nil, fmt.Errorf("esl: dial %s: %w", addr, err)
	}
	c := newConn(nc, cfg)
	c.addr = addr
	if err := c.handshake(ctx, func() error { return c.auth() }); err != nil {
		nc.Close()
		return nil, err
	}
	c.start()
	return c, nil
}

// handshake runs f synchronously (before the reader goroutine exists) under
// AuthTimeout and ctx, mapping deadline errors to ErrTimeout.
func (c *Conn) handshake(ctx context.Context, f func() error) error {
	dl := time.Now().Add(c.cfg.AuthTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.nc.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	err := f()
	what := "handshake"
	if c.hsWait != "" {
		what += ": waiting for " + c.hsWait
	}
	if !stop() && ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w: %s: %w", ErrTimeout, what, ctx.Err())
		}
		return fmt.Errorf("esl: %s: %w", what, ctx.Err())
	}
	if err != nil {
		if isTimeout(err) {
			if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
				// ctx's deadline fired the socket deadline: say both.
				return fmt.Errorf("%w: %s: %w", ErrTimeout, what, context.DeadlineExceeded)
			}
			return fmt.Errorf("%w: %s: %w", ErrTimeout, what, err)
		}
		return err
	}
	c.nc.SetDeadline(time.Time{})
	return nil
}

// readHandshakeFrame reads one frame during the handshake, turning
// rejections and notices into their errors.
func (c *Conn) readHandshakeFrame() (*wire.Message, error) {
	for {
		m, err := c.rd.ReadMessage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("esl: handshake: connection closed by peer: %w", err)
			}
			return nil, err
		}
		c.frames.Add(1)
		switch m.ContentType() {
		case wire.TypeRudeRejection:
			return nil, fmt.Errorf("%w: %s", ErrRejected, strings.TrimSpace(string(m.Body)))
		case wire.TypeDisconnectNotice:
			return nil, &DisconnectError{Notice: string(m.Body), Disposition: m.Get("Content-Disposition")}
		case wire.TypeEventPlain, wire.TypeEventJSON, wire.TypeEventXML, wire.TypeLogData:
			continue // cannot happen before auth; ignore rather than fail
		}
		return m, nil
	}
}

func (c *Conn) auth() error {
	c.hsWait = "auth/request"
	m, err := c.readHandshakeFrame()
	if err != nil {
		return err
	}
	if m.ContentType() != wire.TypeAuthRequest {
		return &wire.ProtocolError{Msg: "expected auth/request, got " + strconv.Quote(m.ContentType())}
	}
	buf := wire.AppendCommand(nil, "auth "+c.cfg.Password, nil, nil)
	c.hsWait = "the reply to \"auth <redacted>\""
	n, err := c.nc.Write(buf)
	c.bytesWritten.Add(uint64(n))
	if err != nil {
		return fmt.Errorf("esl: writing auth: %w", err)
	}
	m, err = c.readHandshakeFrame()
	if err != nil {
		return err
	}
	if m.ContentType() != wire.TypeCommandReply {
		return &wire.ProtocolError{Msg: "expected auth reply, got " + strconv.Quote(m.ContentType())}
	}
	if rt := m.ReplyText(); !strings.HasPrefix(rt, "+OK") {
		return fmt.Errorf("%w: %s", ErrAuth, rt)
	}
	return nil
}
