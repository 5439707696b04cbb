package fsemu

import (
	"context"
	"testing"
)

// Cluster is a set of emulated servers sharing one SIP network and clock:
// a call from one to another ("sofia/external/<user>@<SIPAddr of the
// other>") has its A leg on the first and its B leg on the second.
type Cluster struct {
	// Servers are the cluster's servers, in start order.
	Servers []*Server
	// Network is the shared SIP network.
	Network *Network
}

// StartCluster starts n servers on one network. cfg is the template for
// every server; its ListenAddr, SIPAddr and Network are set per server
// (ListenAddr is kept only if it has port 0).
func StartCluster(ctx context.Context, n int, cfg Config) (*Cluster, error) {
	net := cfg.Network
	if net == nil {
		net = NewNetwork()
	}
	c := &Cluster{Network: net}
	for i := 0; i < n; i++ {
		sc := cfg
		sc.Network = net
		sc.SIPAddr = ""
		if sc.Seed != 0 {
			sc.Seed += int64(i)
		} else {
			sc.Seed = int64(i + 1)
		}
		s, err := Start(ctx, sc)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.Servers = append(c.Servers, s)
	}
	return c, nil
}

// RunClusterT starts an n-server cluster for a test and closes it when the
// test ends. An optional Config is the template for every server.
func RunClusterT(t testing.TB, n int, cfg ...Config) *Cluster {
	t.Helper()
	var c Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	cl, err := StartCluster(context.Background(), n, c)
	if err != nil {
		t.Fatalf("fsemu: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Server returns the i-th server.
func (c *Cluster) Server(i int) *Server { return c.Servers[i] }

// Addrs returns the servers' event socket addresses, in start order.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		out[i] = s.Addr()
	}
	return out
}

// Close closes every server.
func (c *Cluster) Close() {
	for _, s := range c.Servers {
		s.Close()
	}
}
