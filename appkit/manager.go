package appkit

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/switchio/switchio/cluster"
)

// Loadable is one app to load: either one instance shared by every server
// (Shared) or a new instance per server (PerServer).
type Loadable struct {
	shared  cluster.App
	factory func() cluster.App
}

// Shared loads the same instance on every server: its state is pool-wide.
func Shared(a cluster.App) Loadable { return Loadable{shared: a} }

// PerServer builds an instance per server: its state is per server.
func PerServer(f func() cluster.App) Loadable { return Loadable{factory: f} }

func (l Loadable) instance() cluster.App {
	if l.factory != nil {
		return l.factory()
	}
	return l.shared
}

// Manager loads apps over a pool of servers and keeps track of them.
type Manager struct {
	pool *cluster.Pool

	mu     sync.Mutex
	loaded map[string][]cluster.App // app id -> instances (per server, flattened)
	order  []string
}

// NewManager returns a manager for the pool.
func NewManager(p *cluster.Pool) *Manager {
	return &Manager{pool: p, loaded: map[string][]cluster.App{}}
}

// Load loads one or several apps under appID on every server; their handlers
// run in the given order. Loading is atomic across the pool: on any failure
// nothing stays loaded.
func (m *Manager) Load(ctx context.Context, appID string, apps ...Loadable) error {
	if len(apps) == 0 {
		return errors.New("appkit: nothing to load")
	}
	if appID == "" {
		appID = cluster.DefaultAppID
	}
	var all []cluster.App
	var names []string
	clients := m.pool.Clients()
	for i, c := range clients {
		inst := make([]cluster.App, len(apps))
		for k, l := range apps {
			inst[k] = l.instance()
		}
		if names == nil {
			for _, a := range inst {
				names = append(names, cluster.AppName(a))
			}
		}
		if err := c.Load(ctx, appID, inst...); err != nil {
			// undo this Load only: apps loaded earlier under appID stay
			for _, d := range clients[:i] {
				_ = d.UnloadApps(ctx, appID, names...)
			}
			return fmt.Errorf("load under %q on %s: %w", appID, c.Addr(), err)
		}
		all = append(all, inst...)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.loaded[appID]; !ok {
		m.order = append(m.order, appID)
	}
	m.loaded[appID] = append(m.loaded[appID], all...)
	return nil
}

// Unload removes every app under appID from every server.
func (m *Manager) Unload(ctx context.Context, appID string) error {
	if appID == "" {
		appID = cluster.DefaultAppID
	}
	var errs []error
	for _, c := range m.pool.Clients() {
		errs = append(errs, c.Unload(ctx, appID))
	}
	m.mu.Lock()
	delete(m.loaded, appID)
	for i, id := range m.order {
		if id == appID {
			m.order = append(m.order[:i], m.order[i+1:]...)
			break
		}
	}
	m.mu.Unlock()
	return errors.Join(errs...)
}

// IDs returns the loaded app ids in load order.
func (m *Manager) IDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.order...)
}

// Apps returns each distinct loaded app instance once (a shared instance
// appears once, per-server instances once each).
func (m *Manager) Apps() []cluster.App {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[cluster.App]bool{}
	var out []cluster.App
	for _, id := range m.order {
		for _, a := range m.loaded[id] {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// AppsOf returns each distinct app instance loaded under appID.
func (m *Manager) AppsOf(appID string) []cluster.App {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[cluster.App]bool{}
	var out []cluster.App
	for _, a := range m.loaded[appID] {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
