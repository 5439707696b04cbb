package dialer

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// LoadApp loads apps under one app id on every server of the pool and adds
// that id to the weighted round robin that picks each call's app (weight
// 0 loads it without giving it calls). name, if not empty, becomes the
// id's suffix (the id is "<dialer id>-<name>"), the app's label in
// summaries and records, and the value of the X-switchio_app header
// (unless Config.AppHeader is set). It returns the app id.
func (o *Originator) LoadApp(ctx context.Context, name string, weight int, apps ...appkit.Loadable) (string, error) {
	return o.loadApp(ctx, name, name, weight, apps...)
}

func (o *Originator) loadApp(ctx context.Context, name, label string, weight int, apps ...appkit.Loadable) (string, error) {
	if weight < 0 {
		return "", fmt.Errorf("dialer: negative weight %d", weight)
	}
	if name == "" {
		name = "app"
	}
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return "", ErrClosed
	}
	id := o.cfg.ID + "-" + name
	for n := 2; o.appIndex(id) >= 0; n++ {
		id = fmt.Sprintf("%s-%s-%d", o.cfg.ID, name, n)
	}
	o.mu.Unlock()
	if err := checkToken("app id", id); err != nil {
		return "", err
	}
	if err := o.mgr.Load(ctx, id, apps...); err != nil {
		return "", err
	}
	header := name
	if o.cfg.AppHeader != "" {
		header = o.cfg.AppHeader
	}
	o.mu.Lock()
	if label == "" {
		label = name
	}
	unique := label
	for n := 2; o.labelIndex(unique) >= 0; n++ {
		unique = fmt.Sprintf("%s#%d", label, n)
	}
	g := &appGroup{id: id, label: unique, header: header, weight: weight}
	g.bindApps(o.mgr.AppsOf(id))
	o.apps = append(o.apps, g)
	o.notify()
	load := o.currentLoad()
	o.mu.Unlock()
	for _, a := range g.aware {
		a.LoadChanged(load)
	}
	return id, nil
}

func (o *Originator) labelIndex(label string) int {
	for i, g := range o.apps {
		if g.label == label {
			return i
		}
	}
	return -1
}

// AppLabel returns the label (spec or name) of a loaded app id, as used
// in summaries and records ("" if the id is not loaded).
func (o *Originator) AppLabel(id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i := o.appIndex(id); i >= 0 {
		return o.apps[i].label
	}
	return ""
}

// LoadSpec loads a registered app ("Name" or "Name/key=value,...", see
// appkit.Registry.New) with one instance per server. The spec labels it in
// summaries and records; X-switchio_app carries the app's name. reg is
// the registry the name is looked up in (apps.Builtin() for the built-in
// apps).
func (o *Originator) LoadSpec(ctx context.Context, reg *appkit.Registry, spec string, weight int) (string, error) {
	if reg == nil {
		return "", errors.New("dialer: LoadSpec without a registry (apps.Builtin() holds the built-in apps)")
	}
	a, err := reg.New(spec)
	if err != nil {
		return "", err
	}
	name := cluster.AppName(a)
	first := true
	return o.loadApp(ctx, name, spec, weight, appkit.PerServer(func() cluster.App {
		if first {
			first = false
			return a
		}
		b, _ := reg.New(spec)
		return b
	}))
}

func (o *Originator) appIndex(id string) int {
	for i, g := range o.apps {
		if g.id == id {
			return i
		}
	}
	return -1
}

// SetWeight changes an app id's weight live (0 stops giving it calls;
// when every weight is 0 the dialer stops offering).
func (o *Originator) SetWeight(appID string, weight int) error {
	if weight < 0 {
		return fmt.Errorf("dialer: negative weight %d", weight)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	i := o.appIndex(appID)
	if i < 0 {
		return fmt.Errorf("dialer: no app id %q", appID)
	}
	o.apps[i].weight = weight
	o.notify()
	o.logChange("weight "+o.apps[i].label, strconv.Itoa(weight))
	return nil
}

// Weight returns an app id's current weight (false if the id is not
// loaded).
func (o *Originator) Weight(appID string) (int, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i := o.appIndex(appID); i >= 0 {
		return o.apps[i].weight, true
	}
	return 0, false
}

// AppIDs returns the loaded app ids in load order.
func (o *Originator) AppIDs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, len(o.apps))
	for i, g := range o.apps {
		out[i] = g.id
	}
	return out
}
