package blockers

import (
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// Register adds this package's apps, with their default parameters, to r.
func Register(r *appkit.Registry) error {
	for _, proto := range []cluster.App{
		&CalleeBlockOnInvite{Code: 486},
		&CalleeRingback{Ring: 5 * time.Second, Then: "hangup", Cause: "NO_ANSWER", Tone: DefaultRingback},
	} {
		if err := r.Register(proto); err != nil {
			return err
		}
	}
	return nil
}
