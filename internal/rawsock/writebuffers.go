package rawsock

import (
	"io"
	"net"
)

// WriteBuffers writes bufs to w: with one writev(2) per batch when w is
// a Conn of this package, else as net.Buffers.WriteTo does.
func WriteBuffers(w io.Writer, bufs *net.Buffers) (int64, error) {
	if bw, ok := w.(interface {
		WriteBuffers(*net.Buffers) (int64, error)
	}); ok {
		return bw.WriteBuffers(bufs)
	}
	return bufs.WriteTo(w)
}
