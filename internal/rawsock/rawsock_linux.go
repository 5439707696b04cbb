//go:build linux

package rawsock

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// Conn is a socket whose Read, Write and WriteBuffers are raw system
// calls; every other method is the wrapped net.Conn's.
type Conn struct {
	net.Conn
	rc syscall.RawConn
}

// Wrap returns nc reading and writing with raw system calls, or nc itself
// where it is not a socket (a net.Pipe, a TLS connection).
func Wrap(nc net.Conn) net.Conn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	return &Conn{Conn: nc, rc: rc}
}

// Read reads up to len(p) bytes, waiting for the socket to be readable;
// it returns io.EOF when the peer has closed its side.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait for readability
			}
			n, errno = int(r), e
			return true
		}
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("read", errno)
	}
	if err != nil {
		return 0, c.opError("read", err)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, waiting for room in the socket's buffer as
// often as it takes.
func (c *Conn) Write(p []byte) (int, error) {
	var n int
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n))
			switch e {
			case 0:
				n += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // wait for writability
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("write", errno)
	}
	if err != nil {
		return n, c.opError("write", err)
	}
	return n, nil
}

// maxIovecs is the most buffers one writev(2) takes (Linux's UIO_MAXIOV).
const maxIovecs = 1024

// WriteBuffers writes every buffer of bufs in order with writev(2),
// consuming them as net.Buffers.WriteTo does.
func (c *Conn) WriteBuffers(bufs *net.Buffers) (int64, error) {
	var total int64
	var errno syscall.Errno
	var iov []syscall.Iovec
	err := c.rc.Write(func(fd uintptr) bool {
		for len(*bufs) > 0 {
			iov = iov[:0]
			for _, b := range *bufs {
				if len(b) == 0 {
					continue
				}
				iov = append(iov, syscall.Iovec{Base: &b[0]})
				iov[len(iov)-1].SetLen(len(b))
				if len(iov) == maxIovecs {
					break
				}
			}
			if len(iov) == 0 {
				*bufs = (*bufs)[:0]
				return true
			}
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
			switch e {
			case 0:
				total += int64(r)
				consume(bufs, int64(r))
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("writev", errno)
	}
	if err != nil {
		return total, c.opError("write", err)
	}
	return total, nil
}

// opError wraps err as the net package would, so that callers testing
// for net.ErrClosed, os.ErrDeadlineExceeded or a timeout see the same.
func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// consume drops the first n bytes of bufs, as net.Buffers.WriteTo does
// with what it wrote.
func consume(bufs *net.Buffers, n int64) {
	for len(*bufs) > 0 {
		l := int64(len((*bufs)[0]))
		if l > n {
			(*bufs)[0] = (*bufs)[0][n:]
			return
		}
		n -= l
		(*bufs)[0] = nil
		*bufs = (*bufs)[1:]
	}
}

// Unread reports the bytes the host has received on nc that nothing has
// read yet (the socket's receive queue, SIOCINQ); ok is false where it
// cannot tell: nc is not a socket Wrap made raw.
func Unread(nc net.Conn) (n int, ok bool) {
	c, isRaw := nc.(*Conn)
	if !isRaw {
		return 0, false
	}
	var v int32
	var errno syscall.Errno
	if err := c.rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v)))
	}); err != nil || errno != 0 {
		return 0, false
	}
	return int(v), true
}
