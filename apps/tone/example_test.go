package tone_test

import (
	"fmt"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/tone"
)

// Register puts TonePlay in a registry with its default parameters; a spec
// such as "TonePlay/freq=440,record=10" then builds an instance with some
// of them changed: a 440 Hz tone, one call in ten recorded and checked.
func ExampleRegister() {
	r := appkit.NewRegistry()
	if err := tone.Register(r); err != nil {
		fmt.Println(err)
		return
	}
	info, _ := r.Get("TonePlay")
	for _, p := range info.Params {
		fmt.Printf("%s=%s (%s): %s\n", p.Name, p.Default, p.Type, p.Help)
	}

	a, err := r.New("TonePlay/freq=440,record=10")
	if err != nil {
		fmt.Println(err)
		return
	}
	t := a.(*tone.TonePlay)
	fmt.Println(t.Freq, t.Record, t.ToneStream())
	fmt.Println("first verdict:", t.Verdicts()[0].Name)
	// Output:
	// freq=1004 (int): tone frequency, Hz
	// record= (int): record and check one call in N (0 none, 1 all)
	// dir= (string): recording directory on the server (default: the system temp dir)
	// readdir= (string): the same directory as switchio sees it, when mounted elsewhere
	// keep= (bool): keep the recordings (paths in the recordings verdict)
	// max_gap=40ms (duration): longest silence not counted as a dropout
	// 440 10 tone_stream://%(251,0,440)
	// first verdict: audio_ok
}
