package cluster_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
)

// TestCollectDigits: each way a collection ends, on a loopback call whose
// digits come one per 20 ms frame ('w' in the sent string pauses 500 ms).
func TestCollectDigits(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name   string
		send   string
		before bool // sent, and arrived, before CollectDigits is called
		opts   cluster.DigitOptions
		want   cluster.DigitResult
		rest   string // digits left in the stream for the next read
	}{
		{"max", "1234", false, cluster.DigitOptions{Max: 4}, cluster.DigitResult{Digits: "1234", End: cluster.DigitsMax}, ""},
		{"max leaves the rest", "123456", false, cluster.DigitOptions{Max: 4}, cluster.DigitResult{Digits: "1234", End: cluster.DigitsMax}, "56"},
		{"terminator", "12#5", false, cluster.DigitOptions{Max: 4, Terminators: "#*"},
			cluster.DigitResult{Digits: "12", Terminator: "#", End: cluster.DigitsTerminator}, "5"},
		{"terminator first", "*", false, cluster.DigitOptions{Max: 4, Terminators: "#*"},
			cluster.DigitResult{Terminator: "*", End: cluster.DigitsTerminator}, ""},
		{"inter-digit timeout", "12w34", false, cluster.DigitOptions{Max: 4, InterDigit: 300 * ms},
			cluster.DigitResult{Digits: "12", End: cluster.DigitsTimeout}, "34"},
		{"first-digit timeout", "w1", false, cluster.DigitOptions{Max: 1, FirstDigit: 200 * ms, InterDigit: time.Second},
			cluster.DigitResult{End: cluster.DigitsTimeout}, "1"},
		{"first digit may take longer", "w12", false, cluster.DigitOptions{Max: 2, FirstDigit: time.Second, InterDigit: 200 * ms},
			cluster.DigitResult{Digits: "12", End: cluster.DigitsMax}, ""},
		{"total timeout", "1w2w3w4", false, cluster.DigitOptions{Max: 4, InterDigit: time.Second, Total: 700 * ms},
			cluster.DigitResult{Digits: "12", End: cluster.DigitsTotalTimeout}, "34"},
		{"typed ahead", "12", true, cluster.DigitOptions{Max: 2, InterDigit: 10 * ms},
			cluster.DigitResult{Digits: "12", End: cluster.DigitsMax}, ""},
	}
	c := loopbackServer(t, cluster.Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			a, b := loopbackCall(t, ctx, c)
			st, err := b.Events(ctx, "DTMF")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			sendDigits(t, ctx, c, a, tc.send)
			if tc.before {
				eventually(t, "the digits", func() bool { return st.Buffered() == len(tc.send) })
			}
			got, err := st.CollectDigits(ctx, tc.opts)
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			rest, err := st.CollectDigits(ctx, cluster.DigitOptions{InterDigit: 1200 * ms})
			if err != nil || rest.Digits != tc.rest {
				t.Fatalf("then %+v, %v; want %q left", rest, err, tc.rest)
			}
		})
	}
}

// TestCollectDigitsFails: options that cannot end a collection are refused
// before waiting; a hang-up ends it with the digits so far and ErrHungUp.
func TestCollectDigitsFails(t *testing.T) {
	ctx := testCtx(t)
	c := loopbackServer(t, cluster.Config{})
	a, b := loopbackCall(t, ctx, c)
	st, err := b.Events(ctx, "DTMF")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, opts := range []cluster.DigitOptions{{}, {Max: -1}, {Max: 4, InterDigit: -time.Second}} {
		if _, err := st.CollectDigits(ctx, opts); !errors.Is(err, cluster.ErrBadArgument) {
			t.Errorf("options %+v: %v, want ErrBadArgument", opts, err)
		}
	}
	sendDigits(t, ctx, c, a, "12")
	eventually(t, "the digits", func() bool { return st.Buffered() == 2 })
	if err := b.Hangup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	got, err := st.CollectDigits(ctx, cluster.DigitOptions{Max: 4})
	if !errors.Is(err, cluster.ErrHungUp) || got.Digits != "12" || got.End != "" {
		t.Fatalf("after hang-up: %+v, %v; want the digits 12 and ErrHungUp", got, err)
	}
}
