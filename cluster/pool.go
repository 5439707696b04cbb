package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Pool is a set of clients, one per server, that share call correlation:
// legs of one call on different servers join the same Call.
type Pool struct {
	clients []*Client
	reg     *callRegistry
}

// NewPool connects to every address concurrently. It fails, closing what it
// opened, if any server cannot be reached.
func NewPool(ctx context.Context, addrs []string, cfg Config) (*Pool, error) {
	if len(addrs) == 0 {
		return nil, errors.New("cluster: a pool needs at least one server")
	}
	p := &Pool{reg: newCallRegistry(), clients: make([]*Client, len(addrs))}
	errs := make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.clients[i], errs[i] = dial(ctx, a, cfg, p, p.reg)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range p.clients {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	return p, nil
}

// Clients returns the pool's clients in address order.
func (p *Pool) Clients() []*Client { return p.clients }

// Client returns the client of addr, or nil.
func (p *Pool) Client(addr string) *Client {
	for _, c := range p.clients {
		if c.addr == addr {
			return c
		}
	}
	return nil
}

// Call returns the live call with this correlation key, or nil.
func (p *Pool) Call(key string) *Call { return p.reg.get(key) }

// ActiveCalls returns the number of live calls across the pool.
func (p *Pool) ActiveCalls() int { return p.reg.len() }

// Counters returns the pool's counters summed over its servers.
func (p *Pool) Counters() Counters {
	var sum Counters
	for _, c := range p.clients {
		sum.Add(c.Counters())
	}
	return sum
}

// Load loads apps under appID on every server (see Client.Load); if one
// server fails, these apps are unloaded from the servers already loaded
// (apps loaded earlier under appID stay).
func (p *Pool) Load(ctx context.Context, appID string, apps ...App) error {
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = AppName(a)
	}
	for i, c := range p.clients {
		if err := c.Load(ctx, appID, apps...); err != nil {
			for _, d := range p.clients[:i] {
				_ = d.UnloadApps(ctx, appID, names...)
			}
			return fmt.Errorf("load on %s: %w", c.addr, err)
		}
	}
	return nil
}

// Subscribe adds events on every server.
func (p *Pool) Subscribe(ctx context.Context, events ...string) error {
	var errs []error
	for _, c := range p.clients {
		errs = append(errs, c.Subscribe(ctx, events...))
	}
	return errors.Join(errs...)
}

// Close closes every client.
func (p *Pool) Close() error {
	var errs []error
	for _, c := range p.clients {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
