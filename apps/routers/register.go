package routers

import (
	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// Register adds this package's apps, with their default parameters, to r.
func Register(r *appkit.Registry) error {
	for _, proto := range []cluster.App{
		&Proxier{Profile: "external"},
		&Bridger{Profile: "external", Route: []string{"1:proxy"}},
	} {
		if err := r.Register(proto); err != nil {
			return err
		}
	}
	return nil
}
