package appkit

import (
	"context"
	"fmt"
	"sort"

	"github.com/switchio/switchio/cluster"
)

// Service runs apps (routers included) over a set of servers until its
// context ends.
type Service struct {
	// Addrs are the servers' event socket addresses.
	Addrs []string
	// Config configures every client.
	Config cluster.Config
	// Apps maps an app id to the apps loaded under it, in order; the ids
	// load in sorted order.
	Apps map[string][]Loadable
	// Ready, if set, is called once every server is connected and loaded.
	Ready func(*cluster.Pool)
}

// Run connects, loads the apps and serves until ctx is done, then unloads
// and disconnects.
func (s *Service) Run(ctx context.Context) error {
	pool, err := cluster.NewPool(ctx, s.Addrs, s.Config)
	if err != nil {
		return err
	}
	defer pool.Close()
	m := NewManager(pool)
	unloadAll := func() {
		cleanup := context.WithoutCancel(ctx)
		for _, id := range m.IDs() {
			_ = m.Unload(cleanup, id)
		}
	}
	ids := make([]string, 0, len(s.Apps))
	for id := range s.Apps {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a reproducible load order
	for _, id := range ids {
		if err := m.Load(ctx, id, s.Apps[id]...); err != nil {
			unloadAll() // tear down the ids already loaded
			return fmt.Errorf("service: %w", err)
		}
	}
	if s.Ready != nil {
		s.Ready(pool)
	}
	<-ctx.Done()
	unloadAll()
	return nil
}
