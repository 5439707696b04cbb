package cdr

import (
	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// Register adds this package's apps, with their default parameters, to r.
func Register(r *appkit.Registry) error {
	for _, proto := range []cluster.App{
		&CDR{},
	} {
		if err := r.Register(proto); err != nil {
			return err
		}
	}
	return nil
}
