// Package routers provides apps that pass calls on: Proxier bridges each
// inbound call on to its SIP request URI, Bridger bridges by the number
// of legs the call already has. With them a FreeSWITCH under test is an
// intermediate hop (a B2BUA, an SBC stand-in) between switchio's
// originating and answering servers.
package routers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// Proxy is the bridge target that sends a call on to its own request URI.
const Proxy = "proxy"

// proxyDial is the dial string of Proxy: FreeSWITCH expands the channel
// variable sip_req_uri (user@host[:port]) when it runs the bridge.
func proxyDial(profile string) string { return "sofia/" + profile + "/${sip_req_uri}" }

// Proxier bridges every inbound call to sofia/<Profile>/${sip_req_uri}:
// on to where the caller addressed it.
type Proxier struct {
	Profile string `param:"profile" help:"sofia profile the onward call leaves by"`
}

// Description implements appkit.Describer.
func (p *Proxier) Description() string {
	return "Bridges every inbound call on to its request URI: sofia/<profile>/${sip_req_uri}."
}

// Setup implements cluster.App.
func (p *Proxier) Setup(ctx context.Context, r *cluster.Registrar) error {
	if err := checkProfile(p.Profile); err != nil {
		return fmt.Errorf("Proxier: %w", err)
	}
	dial := proxyDial(p.Profile)
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		if s := appkit.CalledLeg(ev); s != nil {
			_ = s.Queue().Bridge(dial)
		}
	})
	return nil
}

func checkProfile(p string) error {
	if p == "" || strings.ContainsAny(p, "/ \t{}") {
		return fmt.Errorf("profile %q is not a sofia profile name", p)
	}
	return nil
}

// Bridger bridges each inbound call according to Route, a table from the
// number of legs the call has when it parks to a dial string, "proxy"
// meaning its request URI (as Proxier). A call with one leg came from
// outside the cluster; a call switchio's dialer originated through this
// cluster has two (the originating leg and this one), and so on. A call
// with no route is hung up with NO_ROUTE_DESTINATION.
type Bridger struct {
	Profile string `param:"profile" help:"sofia profile for proxy routes"`
	// Route entries are "LEGS:DIALSTRING", e.g. "1:proxy" or
	// "2:sofia/external/1000@10.0.0.2:5080".
	Route []string `param:"route" help:"LEGS:DIALSTRING entries separated by | (proxy: the request URI)"`

	table map[int]string
}

// Description implements appkit.Describer.
func (b *Bridger) Description() string {
	return "Bridges each inbound call by the number of legs it has (route=LEGS:DIAL|..., proxy: its request URI); no route: NO_ROUTE_DESTINATION."
}

// Setup implements cluster.App.
func (b *Bridger) Setup(ctx context.Context, r *cluster.Registrar) error {
	if err := checkProfile(b.Profile); err != nil {
		return fmt.Errorf("Bridger: %w", err)
	}
	table, err := parseRoutes(b.Route, b.Profile)
	if err != nil {
		return fmt.Errorf("Bridger: %w", err)
	}
	b.table = table
	r.On("CHANNEL_PARK", b.parked)
	return nil
}

// parseRoutes reads "LEGS:DIALSTRING" entries.
func parseRoutes(route []string, profile string) (map[int]string, error) {
	if len(route) == 0 {
		return nil, fmt.Errorf("no route")
	}
	table := map[int]string{}
	for _, e := range route {
		k, dial, ok := strings.Cut(e, ":")
		n, err := strconv.Atoi(strings.TrimSpace(k))
		dial = strings.TrimSpace(dial)
		switch {
		case !ok || err != nil || n < 1 || n > 16:
			return nil, fmt.Errorf("route %q: want LEGS:DIALSTRING with LEGS 1..16", e)
		case dial == "":
			return nil, fmt.Errorf("route %q: empty dial string", e)
		case table[n] != "":
			return nil, fmt.Errorf("route for %d legs given twice", n)
		}
		if dial == Proxy {
			dial = proxyDial(profile)
		}
		table[n] = dial
	}
	return table, nil
}

func (b *Bridger) parked(ctx context.Context, ev *cluster.Event) {
	s, call := appkit.CalledLeg(ev), ev.Call()
	if s == nil || call == nil {
		return
	}
	dial, ok := b.table[call.Len()]
	if !ok {
		_ = s.Queue().Hangup("NO_ROUTE_DESTINATION")
		return
	}
	_ = s.Queue().Bridge(dial)
}
