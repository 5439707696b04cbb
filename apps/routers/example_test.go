package routers_test

import (
	"fmt"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/routers"
)

// Register puts Proxier and Bridger in a registry. A Bridger's route table
// maps the number of legs a call has when it parks to a dial string: here
// calls from outside the cluster (one leg) go on to their request URI and
// the dialer's calls (two legs) to another server. Lists are separated by
// '|' in a spec.
func ExampleRegister() {
	r := appkit.NewRegistry()
	if err := routers.Register(r); err != nil {
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

	a, err := r.New("Bridger/route=1:proxy|2:sofia/external/1000@10.0.0.2:5080")
	if err != nil {
		fmt.Println(err)
		return
	}
	b := a.(*routers.Bridger)
	fmt.Println(b.Profile)
	for _, route := range b.Route {
		fmt.Println(route)
	}
	// Output:
	// Bridger: profile=external route=1:proxy
	// Proxier: profile=external
	// external
	// 1:proxy
	// 2:sofia/external/1000@10.0.0.2:5080
}
