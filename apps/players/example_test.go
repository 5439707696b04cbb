package players_test

import (
	"fmt"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/players"
)

// Register puts PlayRec and MutedPlayRec in a registry. A player ends its
// calls itself: with iterations=0 it plays as many times as the dialer's
// hold time allows, and MaxHold tells how long a call may then last before
// the server's guard hangs it up.
func ExampleRegister() {
	r := appkit.NewRegistry()
	if err := players.Register(r); err != nil {
		fmt.Println(err)
		return
	}
	info, _ := r.Get("PlayRec")
	for _, p := range info.Params {
		fmt.Printf("%s=%s (%s)\n", p.Name, p.Default, p.Type)
	}

	a, err := r.New("PlayRec/rec_every=1")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := a.(*players.PlayRec)
	p.LoadChanged(appkit.Load{Rate: 10, Limit: 100, Hold: 30 * time.Second})
	fmt.Println("max hold", p.MaxHold(30*time.Second))
	fmt.Println("first verdict:", p.Verdicts()[0].Name)
	// Output:
	// clip= (string)
	// clip_len= (duration)
	// iterations= (int)
	// rec_period=5s (duration)
	// rec_every= (int)
	// rec_stereo= (bool)
	// dir= (string)
	// readdir= (string)
	// keep= (bool)
	// max_gap=80ms (duration)
	// max hold 33.5s
	// first verdict: audio_ok
}
