package dtmf_test

import (
	"fmt"
	"time"

	"github.com/switchio/switchio/apps/dtmf"
)

// A check of "1234" sent at 200 ms a digit, received with the 3 lost and
// the last one short.
func ExampleCompare() {
	c := dtmf.Compare("1234", "124", "200,200,60", 200*time.Millisecond)
	fmt.Println(c.Result, c.Missing, c.InOrder, c.MinMs, c.DurationOK)
	// Output: incomplete 1 true 60 false
}
