// Package apps holds switchio's built-in apps, one package each (tone,
// players, dtmf, bert, blockers, routers, cdr), and puts them in a
// registry: Builtin returns the registry switchio list-apps shows and
// switchio dial and serve load from. A program of its own registers the
// built-ins it wants, and its own apps, on a registry it owns.
package apps

import (
	"fmt"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/bert"
	"github.com/switchio/switchio/apps/blockers"
	"github.com/switchio/switchio/apps/cdr"
	"github.com/switchio/switchio/apps/dtmf"
	"github.com/switchio/switchio/apps/players"
	"github.com/switchio/switchio/apps/routers"
	"github.com/switchio/switchio/apps/tone"
)

// Register adds every built-in app, with its default parameters, to r.
func Register(r *appkit.Registry) error {
	for _, register := range []func(*appkit.Registry) error{
		bert.Register, blockers.Register, cdr.Register, dtmf.Register,
		players.Register, routers.Register, tone.Register,
	} {
		if err := register(r); err != nil {
			return fmt.Errorf("apps: %w", err)
		}
	}
	return nil
}

// Builtin returns a new registry holding the built-in apps.
func Builtin() *appkit.Registry {
	r := appkit.NewRegistry()
	if err := Register(r); err != nil {
		// The built-ins' names are distinct and their parameters valid
		// (TestBuiltin): this is a programming error, never input's.
		panic(err)
	}
	return r
}
