package cluster

import (
	"strconv"
	"testing"
)

// TestCounterKeysBounded: causes and app ids come from the wire; past
// MaxCounterKeys distinct ones, counts go to OtherKey and none are lost.
func TestCounterKeysBounded(t *testing.T) {
	var c counters
	c.init()
	n := MaxCounterKeys + 500
	for i := 0; i < n; i++ {
		c.perAppInc("app-" + strconv.Itoa(i))
		c.hangup("CAUSE_"+strconv.Itoa(i), false, "uuid-"+strconv.Itoa(i), 2)
	}
	c.perAppInc("app-0") // a known key still counts under its own name
	for name, m := range map[string]map[string]uint64{"perApp": c.perApp, "causes": c.causes, "failedByCause": c.failedByCause} {
		if len(m) > MaxCounterKeys+1 {
			t.Errorf("%s holds %d keys", name, len(m))
		}
		var sum uint64
		for _, v := range m {
			sum += v
		}
		want := uint64(n)
		if name == "perApp" {
			want++ // the second app-0
		}
		if sum != want {
			t.Errorf("%s sums to %d, want %d", name, sum, want)
		}
		if m[OtherKey] == 0 {
			t.Errorf("%s: nothing counted under %q", name, OtherKey)
		}
	}
	if c.perApp["app-0"] != 2 {
		t.Errorf("app-0 = %d", c.perApp["app-0"])
	}
	if len(c.failedRecent) > MaxCounterKeys+1 || len(c.failedRecent[OtherKey]) != 2 {
		t.Errorf("failedRecent: %d keys, %d under other", len(c.failedRecent), len(c.failedRecent[OtherKey]))
	}
}
