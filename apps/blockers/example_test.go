package blockers_test

import (
	"fmt"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/blockers"
)

// Register puts the far ends that do not simply answer in a registry: a
// spec then picks one and its behaviour, here a far end that rings for
// two seconds and answers, and one that rejects every call with a 503.
func ExampleRegister() {
	r := appkit.NewRegistry()
	if err := blockers.Register(r); err != nil {
		fmt.Println(err)
		return
	}
	for _, info := range r.All() {
		fmt.Print(info.Name, ":")
		for _, p := range info.Params {
			fmt.Printf(" %s=%s", p.Name, p.Default)
		}
		fmt.Println()
	}

	a, err := r.New("CalleeRingback/ring=2s,then=answer")
	if err != nil {
		fmt.Println(err)
		return
	}
	c := a.(*blockers.CalleeRingback)
	fmt.Println(c.Ring, c.Then)
	if a, err = r.New("CalleeBlockOnInvite/code=503"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.(*blockers.CalleeBlockOnInvite).Code)
	// Output:
	// CalleeBlockOnInvite: code=486 cause=
	// CalleeRingback: ring=5s then=hangup cause=NO_ANSWER media= tone=%(2000,4000,440,480)
	// 2s answer
	// 503
}
