package appkit

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/switchio/switchio/cluster"
)

// Describer lets an app describe itself for listings (switchio list-apps).
type Describer interface {
	Description() string
}

// Info describes a registered app.
type Info struct {
	// Name is the app's registered name (its type name unless it implements
	// cluster.Namer).
	Name string
	// Package is the Go import path of the app's type (for an app
	// registered with RegisterBuilder, where it was defined: a script's
	// file).
	Package string
	// Description is the app's own description, if it has one.
	Description string
	// Params lists the parameters settable from text, in field order.
	Params []Param

	proto reflect.Value // pointer to the prototype holding default values
	build Builder       // set instead of proto by RegisterBuilder
}

// Builder makes an app from the text of its parameters ("key=value,...",
// "" for the defaults): how apps that are not Go structs (scripts) are
// registered.
type Builder func(params string) (cluster.App, error)

// New returns a fresh instance with the default parameters (nil when a
// Builder refuses them).
func (i *Info) New() cluster.App {
	if i.build != nil {
		a, err := i.build("")
		if err != nil {
			return nil
		}
		return a
	}
	v := reflect.New(i.proto.Elem().Type())
	v.Elem().Set(i.proto.Elem())
	return v.Interface().(cluster.App)
}

// Registry maps app names to app types. The zero value is not usable; use
// NewRegistry (apps.Builtin returns one holding the built-in apps).
type Registry struct {
	mu   sync.RWMutex
	apps map[string]*Info
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{apps: map[string]*Info{}} }

// Register adds an app type. proto must be a pointer to a struct; its field
// values are the defaults of new instances. Names must be unique.
func (r *Registry) Register(proto cluster.App) error {
	v := reflect.ValueOf(proto)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("appkit: register %T: need a pointer to a struct", proto)
	}
	params, err := paramsOf(v.Elem().Type())
	if err != nil {
		return fmt.Errorf("appkit: register %T: %w", proto, err)
	}
	for i := range params {
		params[i].Default = defaultText(v.Elem().FieldByName(params[i].Field))
	}
	info := &Info{
		Name:    cluster.AppName(proto),
		Package: v.Elem().Type().PkgPath(),
		Params:  params,
		proto:   v,
	}
	if d, ok := proto.(Describer); ok {
		info.Description = d.Description()
	}
	return r.add(info)
}

// RegisterBuilder adds an app that is built from its parameters' text by
// build (a script app): info gives its name, origin, description and
// parameters (with their defaults, for listings).
func (r *Registry) RegisterBuilder(info Info, build Builder) error {
	if info.Name == "" || build == nil {
		return fmt.Errorf("appkit: register %q: need a name and a builder", info.Name)
	}
	info.proto, info.build = reflect.Value{}, build
	return r.add(&info)
}

// add registers info under its name, once.
func (r *Registry) add(info *Info) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.apps[info.Name]; dup {
		return fmt.Errorf("appkit: %q is already registered", info.Name)
	}
	r.apps[info.Name] = info
	return nil
}

// Get returns the app registered under name.
func (r *Registry) Get(name string) (*Info, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i, ok := r.apps[name]
	return i, ok
}

// All returns every registered app sorted by name.
func (r *Registry) All() []*Info {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Info, 0, len(r.apps))
	for _, i := range r.apps {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Group is the apps of one Go package.
type Group struct {
	Package string
	Apps    []*Info
}

// ByPackage groups the registered apps by package, both sorted.
func (r *Registry) ByPackage() []Group {
	var groups []Group
	idx := map[string]int{}
	for _, i := range r.All() {
		k, ok := idx[i.Package]
		if !ok {
			k = len(groups)
			idx[i.Package] = k
			groups = append(groups, Group{Package: i.Package})
		}
		groups[k].Apps = append(groups[k].Apps, i)
	}
	sort.Slice(groups, func(a, b int) bool { return groups[a].Package < groups[b].Package })
	return groups
}

// New builds an app from a spec "Name" or "Name/key=value,key=value": a new
// instance of the registered type with the given parameters set.
func (r *Registry) New(spec string) (cluster.App, error) {
	name, params, _ := strings.Cut(spec, "/")
	name = strings.TrimSpace(name)
	info, ok := r.Get(name)
	if !ok {
		var names []string
		for _, i := range r.All() {
			names = append(names, i.Name)
		}
		return nil, fmt.Errorf("appkit: unknown app %q (registered: %s)", name, strings.Join(names, ", "))
	}
	if info.build != nil {
		a, err := info.build(params)
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", name, err)
		}
		return a, nil
	}
	a := info.New()
	if err := SetParams(a, params); err != nil {
		return nil, fmt.Errorf("app %s: %w", name, err)
	}
	return a, nil
}
