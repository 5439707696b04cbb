package appkit

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/switchio/switchio/cluster"
)

// ErrStopRouting, returned by a route, ends routing for the call: later
// matching routes do not run.
var ErrStopRouting = errors.New("appkit: stop routing")

// RouteFunc handles a routed call in its own goroutine (a flow), where the
// Session methods wait for their outcome.
// match holds the regexp's submatches of the routed field.
type RouteFunc func(ctx context.Context, s *cluster.Session, match []string) error

type route struct {
	pattern *regexp.Regexp
	field   string
	fn      RouteFunc
}

// Router routes inbound parked calls by regular expressions on an event
// field (default Caller-Destination-Number). Guards admit only calls whose
// headers have given values; a missing header is a non-match. A call that no
// route matches, or that a guard rejects, is hung up with
// NO_ROUTE_DESTINATION. Routes run in registration order until one returns
// ErrStopRouting.
type Router struct {
	// Guards are header -> required value.
	Guards map[string]string
	// Field is the event field routed on (default Caller-Destination-Number).
	Field string
	// Events lists extra events the routes wait for with Session.Recv.
	Events []string
	// Name overrides the app name (default "Router"), so several routers can
	// be loaded under one id.
	Name string

	routes []route
}

// AppName implements cluster.Namer.
func (r *Router) AppName() string {
	if r.Name != "" {
		return r.Name
	}
	return "Router"
}

// Description implements Describer.
func (r *Router) Description() string {
	return "Routes inbound parked calls by regular expression on a field, with guards."
}

// Route adds a route for calls whose field matches pattern.
func (r *Router) Route(pattern string, fn RouteFunc) error {
	return r.RouteField(pattern, "", fn)
}

// RouteField adds a route on a specific field.
func (r *Router) RouteField(pattern, field string, fn RouteFunc) error {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fmt.Errorf("route %q: %w", pattern, err)
	}
	r.routes = append(r.routes, route{pattern: re, field: field, fn: fn})
	return nil
}

// MustRoute is Route that panics on a bad pattern, for static tables.
func (r *Router) MustRoute(pattern string, fn RouteFunc) {
	if err := r.Route(pattern, fn); err != nil {
		panic(err)
	}
}

// Setup implements cluster.App.
func (r *Router) Setup(ctx context.Context, reg *cluster.Registrar) error {
	reg.Subscribe(r.Events...)
	client := reg.Client()
	reg.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		s := ev.Session
		if s == nil || !ev.Session.IsInbound() {
			return
		}
		if s.Var("switchio_routed") != "" {
			return // re-parked after routing
		}
		s.SetLocal("switchio_routed", "1")
		for h, want := range r.Guards {
			if got, ok := ev.Lookup(h); !ok || got != want {
				_ = s.Queue().Hangup("NO_ROUTE_DESTINATION")
				return
			}
		}
		type hit struct {
			fn    RouteFunc
			match []string
		}
		var hits []hit
		for _, rt := range r.routes {
			field := rt.field
			if field == "" {
				field = r.Field
			}
			if field == "" {
				field = "Caller-Destination-Number"
			}
			v, ok := ev.Lookup(field)
			if !ok {
				continue
			}
			if m := rt.pattern.FindStringSubmatch(v); m != nil {
				hits = append(hits, hit{rt.fn, m})
			}
		}
		if len(hits) == 0 {
			_ = s.Queue().Hangup("NO_ROUTE_DESTINATION")
			return
		}
		client.Go(ev, func(ctx context.Context) error {
			for _, h := range hits {
				if err := h.fn(ctx, s, h.match); err != nil {
					if errors.Is(err, ErrStopRouting) {
						return nil
					}
					return err
				}
			}
			return nil
		})
	})
	return nil
}
