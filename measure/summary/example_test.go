package summary_test

import (
	"encoding/json"
	"fmt"

	"github.com/switchio/switchio/measure/summary"
)

// A Run is what summary.json holds: data only, so a run's outcome reads
// without a server. SortedCauses lists failure causes most frequent first
// (ties by name), as the console and the report show them.
func ExampleRun() {
	sm := summary.Run{
		ID: "example", State: "done",
		Offered: 100, Answered: 90, Failed: 10, Completed: 88, Dropped: 2,
		FailedByCause: map[string]uint64{"USER_BUSY": 6, "NO_ANSWER": 2, "CALL_REJECTED": 2},
		TargetRate:    50, Limit: 500, HoldS: 5,
	}
	for _, cause := range summary.SortedCauses(sm.FailedByCause) {
		fmt.Println(cause, sm.FailedByCause[cause])
	}

	// A few of summary.json's keys.
	b, err := json.Marshal(sm)
	if err != nil {
		fmt.Println(err)
		return
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range []string{"id", "offered", "answered", "failed_by_cause", "target_rate", "hold_s"} {
		fmt.Printf("%s: %s\n", k, keys[k])
	}
	// Output:
	// USER_BUSY 6
	// CALL_REJECTED 2
	// NO_ANSWER 2
	// id: "example"
	// offered: 100
	// answered: 90
	// failed_by_cause: {"CALL_REJECTED":2,"NO_ANSWER":2,"USER_BUSY":6}
	// target_rate: 50
	// hold_s: 5
}
