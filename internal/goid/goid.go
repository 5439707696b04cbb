// Package goid tells which goroutine is running: enough for a connection to
// refuse, rather than deadlock on, a request made from the goroutine that
// would have to read its reply (an event handler run on the reader).
//
// Go keeps goroutine identity out of its API on purpose, and nothing here
// makes it a key for state: it only answers "is this the goroutine I noted
// before?", read from the first line of runtime.Stack ("goroutine 42
// [running]:"). It costs about a microsecond, so callers note their own id
// once and compare only on paths that would block anyway.
package goid

import "runtime"

// ID returns the current goroutine's id, or 0 if it cannot be read.
func ID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
