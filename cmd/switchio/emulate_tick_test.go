package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
	"github.com/switchio/switchio/measure"
)

// TestEmulateClockTick: emulate's servers stamp events from a clock that
// ticks every 20 ms by default, as a vanilla FreeSWITCH's does; --clock-tick
// changes the tick (1ms: FreeSWITCH's 1ms-timer) and 0 stamps exact
// times. The resolution is measured from the stamps of events sent a few
// ms apart.
func TestEmulateClockTick(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cases := []struct {
		flags []string
		want  float64 // µs
	}{
		{nil, 20000},
		{[]string{"--clock-tick", "1ms"}, 1000},
		{[]string{"--clock-tick", "0"}, 1},
	}
	for _, tc := range cases {
		t.Run(strings.Join(append([]string{"emulate"}, tc.flags...), " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			addr, _ := runEmulate(t, ctx, tc.flags...)
			conn, err := esl.Dial(ctx, addr, esl.Config{Password: "ClueCon"})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := conn.Subscribe(ctx, wire.FormatPlain, "ALL"); err != nil {
				t.Fatal(err)
			}
			const n = 60
			for i := 0; i < n; i++ {
				if _, err := conn.SendEvent(ctx, "CUSTOM", []wire.Header{{Name: "Event-Subclass", Value: "tick::test"}}, nil); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(2+i%5) * time.Millisecond)
			}
			var stamps []int64
			for len(stamps) < n {
				select {
				case ev := <-conn.Events():
					if ev.Get("Event-Subclass") == "tick::test" {
						v, _ := strconv.ParseInt(ev.Get("Event-Date-Timestamp"), 10, 64)
						stamps = append(stamps, v)
					}
				case <-ctx.Done():
					t.Fatalf("%d of %d events", len(stamps), n)
				}
			}
			var diffs []int64
			for i := 1; i < n; i++ {
				if d := stamps[i] - stamps[i-1]; d > 0 {
					diffs = append(diffs, d)
				}
			}
			if us, share := measure.EstimateResolution(diffs); us != tc.want {
				t.Errorf("stamps on a %v µs grid (%.0f%% of %d differences), want %v", us, 100*share, len(diffs), tc.want)
			}
		})
	}
}
