package fsemu

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// frame is serialised output shared by the connections it is queued on;
// event frames return to their server's size-class pool once every
// connection wrote it, which keeps the allocation rate (and GC) low at
// thousands of calls/s.
type frame struct {
	b     []byte     // the bytes to write (may start inside buf)
	buf   []byte     // the pooled backing array
	pool  *framePool // the pool it returns to (nil if not pooled)
	refs  atomic.Int32
	class int8 // pool index, -1 if not pooled
}

const (
	minFrameClass = 10 // 1 KiB
	maxFrameClass = 17 // 128 KiB
)

// framePool recycles one server's event frames, a sync.Pool per size
// class (powers of two from 1<<minFrameClass to 1<<maxFrameClass). Each
// Server owns one, so servers share no memory and a closed server's
// frames go with it. The zero value is ready to use; frames are taken
// with the lock held and released by the connections' writers.
type framePool [maxFrameClass - minFrameClass + 1]sync.Pool

// get returns a frame with a buffer of capacity >= n and refs 0.
func (p *framePool) get(n int) *frame {
	c := bits.Len(uint(n - 1))
	if c < minFrameClass {
		c = minFrameClass
	}
	if c > maxFrameClass {
		b := make([]byte, 0, n)
		return &frame{b: b, buf: b, class: -1}
	}
	if v := p[c-minFrameClass].Get(); v != nil {
		f := v.(*frame)
		f.b = f.buf[:0]
		return f
	}
	b := make([]byte, 0, 1<<c)
	return &frame{b: b, buf: b, pool: p, class: int8(c)}
}

// bytesFrame wraps a reply (not pooled).
func bytesFrame(b []byte) *frame {
	f := &frame{b: b, class: -1}
	f.refs.Store(1)
	return f
}

func (f *frame) release() {
	if f.refs.Add(-1) == 0 && f.class >= 0 {
		f.pool[int(f.class)-minFrameClass].Put(f)
	}
}
