package cluster

import (
	"context"
	"strings"
	"sync"
)

// Call is a set of legs (sessions) that belong together, possibly on
// different servers of a pool. Legs are joined by a correlation key read
// from their events (see Correlation).
type Call struct {
	key string

	mu     sync.Mutex
	legs   []*Session
	vars   varList
	values map[any]any
}

// Key returns the correlation key that joined the legs.
func (c *Call) Key() string { return c.key }

// Sessions returns the call's legs in the order they appeared, the
// originating leg (see First) first.
func (c *Call) Sessions() []*Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Session(nil), c.legs...)
}

// First returns the originating leg, the one whose uuid is the call's key
// (as the dialer and appkit.SyncCall tag calls), else the first leg seen.
func (c *Call) First() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.legs) == 0 {
		return nil
	}
	return c.legs[0]
}

// Last returns the most recent leg.
func (c *Call) Last() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.legs) == 0 {
		return nil
	}
	return c.legs[len(c.legs)-1]
}

// Peer returns the other leg of a two-leg call, or nil.
func (c *Call) Peer(s *Session) *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.legs {
		if l != s {
			return l
		}
	}
	return nil
}

// Len returns the number of legs.
func (c *Call) Len() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.legs) }

// Var returns call-scoped app state stored with SetVar.
func (c *Call) Var(name string) string { c.mu.Lock(); defer c.mu.Unlock(); return c.vars.get(name) }

// SetVar stores call-scoped app state shared by the legs' handlers.
func (c *Call) SetVar(name, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vars.set(name, value)
}

// Value returns the value attached to the call under key (nil if none).
func (c *Call) Value(key any) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[key]
}

// SetValue attaches app state of any type to the call under key (nil
// removes it), shared by the handlers of all its legs, on whichever
// server: an app loaded per server keeps what spans legs here. Use an
// unexported key type, as with context values.
func (c *Call) SetValue(key, value any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if value == nil {
		delete(c.values, key)
		return
	}
	if c.values == nil {
		c.values = make(map[any]any, 1)
	}
	c.values[key] = value
}

// LoadOrStoreValue returns the value attached under key, attaching value
// first when there is none (as sync.Map's LoadOrStore): legs' handlers
// on two servers may both start the state they share.
func (c *Call) LoadOrStoreValue(key, value any) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.values[key]; ok {
		return v
	}
	if c.values == nil {
		c.values = make(map[any]any, 1)
	}
	c.values[key] = value
	return value
}

// UpdateVar replaces a call-scoped value with f of the current one, in
// one step: handlers of a call's legs on different servers run on
// different event loops, so a counter they share must not be read and
// written apart. It returns the new value.
func (c *Call) UpdateVar(name string, f func(old string) string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := f(c.vars.get(name))
	c.vars.set(name, v)
	return v
}

// Hangup hangs up every leg with cause ("" = NORMAL_CLEARING).
func (c *Call) Hangup(ctx context.Context, cause string) error {
	var first error
	for _, s := range c.Sessions() {
		if s.HungUp() {
			continue
		}
		// A leg may go away on its own once its peer hangs up: that is
		// the goal, not a failure.
		if err := s.Hangup(ctx, cause); err != nil && first == nil && !strings.Contains(err.Error(), "No such channel") {
			first = err
		}
	}
	return first
}

// callRegistry joins legs by key; it is shared by all clients of a pool, so
// a leg that reaches another server joins the same Call.
//
// The loops of several servers join and leave the same calls concurrently,
// so a leg's join and another leg's leave are each one step under the
// registry lock (taken before the call's): a call is forgotten exactly when
// its last leg leaves, and a leg never joins a call already forgotten.
type callRegistry struct {
	mu    sync.Mutex
	calls map[string]*Call
}

func newCallRegistry() *callRegistry { return &callRegistry{calls: make(map[string]*Call)} }

// join adds s to the call of key, creating it, and reports whether the call
// is new.
func (r *callRegistry) join(key string, s *Session) (*Call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.calls[key]
	if !ok {
		c = &Call{key: key}
		r.calls[key] = c
	}
	c.mu.Lock()
	if s.uuid == key && len(c.legs) > 0 {
		// The originating leg (whose uuid is the key, as the dialer and
		// SyncCall tag calls) comes first even when another server's leg
		// reached its loop earlier: events of different servers race.
		c.legs = append([]*Session{s}, c.legs...)
	} else {
		c.legs = append(c.legs, s)
	}
	c.mu.Unlock()
	return c, !ok
}

// leave removes s; the call is forgotten with its last leg, after ended
// ran (under the registry lock, so a call is counted before it is seen
// gone). It reports whether the call ended.
func (r *callRegistry) leave(c *Call, s *Session, ended func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.mu.Lock()
	for i, l := range c.legs {
		if l == s {
			c.legs = append(c.legs[:i], c.legs[i+1:]...)
			break
		}
	}
	empty := len(c.legs) == 0
	c.mu.Unlock()
	if !empty {
		return false
	}
	if ended != nil {
		ended()
	}
	if r.calls[c.key] == c {
		delete(r.calls, c.key)
	}
	return true
}

func (r *callRegistry) len() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.calls) }

func (r *callRegistry) get(key string) *Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[key]
}
