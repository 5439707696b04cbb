package audiocheck_test

import (
	"fmt"
	"time"

	"github.com/switchio/switchio/apps/audiocheck"
)

// A Recorder picks the calls to record: one every Period (the first call,
// then the first one Period or more after the last picked) or, with Every,
// one in N. Here calls come one a second and one is recorded every 5 s, on
// a clock the example advances itself. Each recorded call gets the
// Verdicts columns, audio_ok first.
func ExampleRecorder_Pick() {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &audiocheck.Recorder{Period: 5 * time.Second, Now: func() time.Time { return now }}
	for s := range 12 {
		if r.Pick() {
			fmt.Printf("call at %ds recorded\n", s)
		}
		now = now.Add(time.Second)
	}

	every := &audiocheck.Recorder{Every: 3}
	n := 0
	for range 9 {
		if every.Pick() {
			n++
		}
	}
	fmt.Println("every 3:", n, "of 9 recorded")
	fmt.Println("zero Recorder enabled:", (&audiocheck.Recorder{}).Enabled())
	fmt.Println("first verdict:", audiocheck.Verdicts()[0].Name)
	// Output:
	// call at 0s recorded
	// call at 5s recorded
	// call at 10s recorded
	// every 3: 3 of 9 recorded
	// zero Recorder enabled: false
	// first verdict: audio_ok
}
