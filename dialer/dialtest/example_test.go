package dialtest_test

import (
	"fmt"

	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/measure"
)

// A test dial (Run, which needs the test's *testing.T) returns the calls'
// records with their app's verdicts; Bool, Int and String read a verdict
// from a record, telling a null (no value: the check was not made) from a
// false or a zero. Here the records are made by hand, as a DTMF checker's
// could be.
func ExampleBool() {
	ok, missing, got := true, int64(2), "1234#"
	records := []measure.Record{
		{Seq: 0, Outcome: "completed", Verdicts: map[string]measure.Value{"dtmf_ok": {Bool: &ok}}},
		{Seq: 1, Outcome: "completed", Verdicts: map[string]measure.Value{"dtmf_missing": {Int: &missing}, "dtmf_received": {String: &got}}},
		{Seq: 2, Outcome: "failed"},
	}
	for _, r := range records {
		v, checked := dialtest.Bool(r, "dtmf_ok")
		n, _ := dialtest.Int(r, "dtmf_missing")
		fmt.Printf("call %d %s: dtmf_ok %v (checked %v), missing %d, received %q\n",
			r.Seq, r.Outcome, v, checked, n, dialtest.String(r, "dtmf_received"))
	}
	// Output:
	// call 0 completed: dtmf_ok true (checked true), missing 0, received ""
	// call 1 completed: dtmf_ok false (checked false), missing 2, received "1234#"
	// call 2 failed: dtmf_ok false (checked false), missing 0, received ""
}
