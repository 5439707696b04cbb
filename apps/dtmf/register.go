package dtmf

import (
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// Register adds this package's apps, with their default parameters, to r.
func Register(r *appkit.Registry) error {
	for _, proto := range []cluster.App{
		&DtmfChecker{Digits: "1234567890*#", Duration: 200 * time.Millisecond, Delay: 500 * time.Millisecond, Gap: DefaultGap},
	} {
		if err := r.Register(proto); err != nil {
			return err
		}
	}
	return nil
}
