package procs

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// The policy moves to every processor after one busy second on one, and
// back to one only after LowerFor quiet seconds in a row.
func TestPolicy(t *testing.T) {
	p := Policy{Max: 4}
	steps := []struct {
		used float64
		want int
	}{
		{0.2, 1},  // quiet on one: stays
		{0.69, 1}, // below RaiseAt
		{0.75, 4}, // busy: all of them
		{0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4},
		{1.5, 4}, // a busy second restarts the count
		{0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4},
		{0.2, 1}, // fifth quiet second in a row
		{0.9, 4},
	}
	cur := 1
	for i, s := range steps {
		cur = p.Next(cur, s.used)
		if cur != s.want {
			t.Fatalf("step %d (%.2f cores used): %d processors, want %d", i, s.used, cur, s.want)
		}
	}
	one := Policy{Max: 1}
	if got := one.Next(1, 5); got != 1 {
		t.Fatalf("with one processor at most: %d", got)
	}
}

// Govern runs on one processor and stop puts the setting back; with
// GOMAXPROCS in the environment it leaves the setting alone.
func TestGovernRestores(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	before := runtime.GOMAXPROCS(0)
	if before == 1 {
		runtime.GOMAXPROCS(2)
		defer runtime.GOMAXPROCS(1)
		before = 2
	}
	stop := Govern(context.Background())
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS %d under the governor, want 1 while idle", got)
	}
	stop()
	stop() // idempotent
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("GOMAXPROCS %d after stop, want %d", got, before)
	}
}

// The meter gives cores used between readings, none for the first one.
func TestMeter(t *testing.T) {
	var m Meter
	t0 := time.Unix(100, 0)
	if _, ok := m.Observe(t0, time.Second); ok {
		t.Fatal("the first reading gave a figure")
	}
	if used, ok := m.Observe(t0.Add(2*time.Second), 4*time.Second); !ok || used != 1.5 {
		t.Fatalf("3 s of CPU in 2 s: %v %v, want 1.5 cores", used, ok)
	}
	if _, ok := m.Observe(t0.Add(2*time.Second), 5*time.Second); ok {
		t.Fatal("a reading at the same instant gave a figure")
	}
}

func TestGovernLeavesUsersSetting(t *testing.T) {
	t.Setenv("GOMAXPROCS", "2")
	before := runtime.GOMAXPROCS(0)
	stop := Govern(context.Background())
	defer stop()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("GOMAXPROCS %d under the governor with GOMAXPROCS set, want %d", got, before)
	}
}
