//go:build !linux

package rawsock

import "net"

// Wrap returns nc: raw system calls are used on Linux only.
func Wrap(nc net.Conn) net.Conn { return nc }

// Unread reports false: the receive queue is read on Linux only.
func Unread(nc net.Conn) (int, bool) { return 0, false }
