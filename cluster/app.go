package cluster

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/switchio/switchio/esl"
)

// App is call-control logic that reacts to events. Setup declares the events
// it handles by registering handlers on the Registrar; those events are
// subscribed on the server automatically. An App value may be loaded on many
// clients (one instance shared by all servers) or built per server by a
// factory (see appkit.Manager).
type App interface {
	Setup(ctx context.Context, r *Registrar) error
}

// Teardowner is implemented by apps that release resources when unloaded.
type Teardowner interface {
	Teardown(ctx context.Context, c *Client) error
}

// Namer lets an app choose its name; otherwise its type name is used.
type Namer interface {
	AppName() string
}

// AppName returns the name an app is registered and loaded under.
func AppName(a App) string {
	if a == nil {
		return ""
	}
	if n, ok := a.(Namer); ok {
		return n.AppName()
	}
	t := reflect.TypeOf(a)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// Event is an event delivered to an app: the ESL event plus what the client
// knows of it.
type Event struct {
	*esl.Event
	// Key is the dispatch key: the event name, or "CUSTOM <subclass>".
	Key string
	// Session is the channel the event is about (nil for non-channel events).
	Session *Session
	// Client is the server connection the event came from.
	Client *Client
}

// Call returns the call of the event's session, or nil.
func (e *Event) Call() *Call {
	if e.Session == nil {
		return nil
	}
	return e.Session.Call()
}

// HandlerFunc handles an event on the client's event loop. It must not
// block: it sends commands with their queued form (Session.Queue), which
// returns at once. The waiting Session methods and Client.API and BgAPI
// fail with ErrWouldBlock when called from a handler, whatever context
// they are given: the client knows the goroutine running its handlers
// (the connection's reader, which alone reads the replies they would wait
// for). Work that waits belongs in a flow (Registrar.Flow, Client.Go).
type HandlerFunc func(ctx context.Context, ev *Event)

// FlowFunc is a sequential call flow started by an event in its own
// goroutine, where the Session methods wait for their results.
// Its error is logged with the call id.
type FlowFunc func(ctx context.Context, ev *Event) error

// Registrar collects an app's handlers during Setup.
type Registrar struct {
	client   *Client
	handlers map[string][]HandlerFunc
	events   []string
}

// Client returns the client the app is being loaded on.
func (r *Registrar) Client() *Client { return r.client }

// Pool returns the pool of the client, or nil for a lone client.
func (r *Registrar) Pool() *Pool { return r.client.pool }

// On registers h for an event: a standard name such as "CHANNEL_PARK" or a
// custom one as "CUSTOM mod_bert::in_sync". The event is subscribed.
func (r *Registrar) On(event string, h HandlerFunc) {
	event = normalizeKey(event)
	r.handlers[event] = append(r.handlers[event], h)
	r.events = append(r.events, event)
}

// Flow registers f to run in its own goroutine for each such event.
func (r *Registrar) Flow(event string, f FlowFunc) {
	c := r.client
	r.On(event, func(ctx context.Context, ev *Event) {
		c.startFlow(ev, f)
	})
}

// Subscribe adds events the app waits for with Session.Recv without
// handling them.
func (r *Registrar) Subscribe(events ...string) {
	for _, e := range events {
		r.events = append(r.events, normalizeKey(e))
	}
}

func normalizeKey(event string) string {
	f := strings.Fields(event)
	if len(f) == 2 && strings.EqualFold(f[0], "CUSTOM") {
		return "CUSTOM " + f[1]
	}
	return strings.ToUpper(strings.TrimSpace(event))
}

// loadedApp is one app instance loaded under an app id.
type loadedApp struct {
	name     string
	app      App
	handlers map[string][]HandlerFunc
	events   []string
}

// ErrAppLoaded is returned when an app of the same name is already loaded
// under the app id.
var ErrAppLoaded = errors.New("cluster: app already loaded under this id")

// Load sets up apps under appID on this client, in order: events for
// sessions of that id run their handlers in load order. Loading is atomic:
// if one app's Setup fails, those already set up are torn down and nothing
// is loaded. At most one app of a name may be loaded per id. Setup and
// Teardown run without the client's app lock, so they may use the client
// (list or load apps).
func (c *Client) Load(ctx context.Context, appID string, apps ...App) error {
	if appID == "" {
		appID = DefaultAppID
	}
	seen := map[string]bool{}
	for _, name := range c.Apps(appID) {
		seen[name] = true
	}
	var done []*loadedApp
	rollback := func() {
		for _, la := range done {
			if t, ok := la.app.(Teardowner); ok {
				_ = t.Teardown(ctx, c)
			}
		}
	}
	for _, a := range apps {
		if a == nil {
			rollback()
			return fmt.Errorf("load under %q: nil app", appID)
		}
		name := AppName(a)
		if seen[name] {
			rollback()
			return fmt.Errorf("load %s under %q: %w", name, appID, ErrAppLoaded)
		}
		seen[name] = true
		r := &Registrar{client: c, handlers: map[string][]HandlerFunc{}}
		if err := a.Setup(ctx, r); err != nil {
			rollback()
			return fmt.Errorf("setup of app %s: %w", name, err)
		}
		done = append(done, &loadedApp{name: name, app: a, handlers: r.handlers, events: r.events})
	}
	var events []string
	for _, la := range done {
		events = append(events, la.events...)
	}
	if err := c.Subscribe(ctx, events...); err != nil {
		rollback()
		return err
	}
	c.appsMu.Lock()
	existing := c.apps[appID]
	for _, la := range existing { // loaded meanwhile by a concurrent Load
		for _, d := range done {
			if la.name == d.name {
				c.appsMu.Unlock()
				rollback()
				return fmt.Errorf("load %s under %q: %w", d.name, appID, ErrAppLoaded)
			}
		}
	}
	next := make(map[string][]*loadedApp, len(c.apps)+1)
	for k, v := range c.apps {
		next[k] = v
	}
	next[appID] = append(append([]*loadedApp(nil), existing...), done...)
	c.apps = next
	c.appsView.Store(&next)
	c.appsMu.Unlock()
	return nil
}

// Unload tears down and removes every app under appID.
func (c *Client) Unload(ctx context.Context, appID string) error {
	return c.unload(ctx, appID, nil)
}

// UnloadApps tears down and removes the apps of these names under appID,
// leaving the others loaded there (names are unique per id, see Load).
// Unknown names are ignored. It undoes one Load among several under an id.
func (c *Client) UnloadApps(ctx context.Context, appID string, names ...string) error {
	drop := make(map[string]bool, len(names))
	for _, n := range names {
		drop[n] = true
	}
	return c.unload(ctx, appID, drop)
}

// unload removes the apps under appID whose names are in drop (all when
// drop is nil), then tears them down without the app lock held.
func (c *Client) unload(ctx context.Context, appID string, drop map[string]bool) error {
	if appID == "" {
		appID = DefaultAppID
	}
	c.appsMu.Lock()
	var kept, gone []*loadedApp
	for _, la := range c.apps[appID] {
		if drop == nil || drop[la.name] {
			gone = append(gone, la)
		} else {
			kept = append(kept, la)
		}
	}
	if len(gone) > 0 {
		next := make(map[string][]*loadedApp, len(c.apps))
		for k, v := range c.apps {
			next[k] = v
		}
		if len(kept) == 0 {
			delete(next, appID)
		} else {
			next[appID] = kept
		}
		c.apps = next
		c.appsView.Store(&next)
	}
	c.appsMu.Unlock()
	var errs []error
	for _, la := range gone {
		if t, ok := la.app.(Teardowner); ok {
			if err := t.Teardown(ctx, c); err != nil {
				errs = append(errs, fmt.Errorf("teardown of %s: %w", la.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Apps returns the names of the apps loaded under appID, in load order.
func (c *Client) Apps(appID string) []string {
	c.appsMu.Lock()
	defer c.appsMu.Unlock()
	var names []string
	for _, la := range c.apps[appID] {
		names = append(names, la.name)
	}
	return names
}

// AppIDs returns the ids that have apps loaded.
func (c *Client) AppIDs() []string {
	c.appsMu.Lock()
	defer c.appsMu.Unlock()
	var ids []string
	for id := range c.apps {
		ids = append(ids, id)
	}
	return ids
}
