package cluster_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/cluster"
)

// pinPrompt is an IVR route: it opens the DTMF stream first, so digits
// pressed at any time after that (during the answer, a prompt) wait in
// the stream, then collects a PIN of up to 4 digits ended by '#' (opts,
// when set, are the collection's own).
type pinPrompt struct {
	pins chan cluster.DigitResult
	opts *cluster.DigitOptions
}

func (p pinPrompt) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.Flow("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) error {
		s := ev.Session
		if !s.IsInbound() {
			return nil
		}
		dtmf, err := s.Events(ctx, "DTMF")
		if err != nil {
			return err
		}
		defer dtmf.Close()
		if err := s.Answer(ctx); err != nil {
			return err
		}
		opts := cluster.DigitOptions{Max: 4, Terminators: "#", InterDigit: 3 * time.Second, Total: 20 * time.Second}
		if p.opts != nil {
			opts = *p.opts
		}
		pin, err := dtmf.CollectDigits(ctx, opts)
		if err != nil {
			return err
		}
		p.pins <- pin
		return s.Hangup(ctx, "")
	})
	return nil
}

// A flow collects digits from a stream it opened before they could come:
// the caller sends "42#" as soon as the call is answered.
func ExampleEventStream_CollectDigits() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs := startServers(ctx, 2)
	defer fs[0].Close()
	defer fs[1].Close()

	app := pinPrompt{pins: make(chan cluster.DigitResult, 1)}
	id := "6f1c2a4e-0000-4000-8000-000000000023"
	caller, stop, err := callApp(ctx, fs[0], fs[1], app, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	if _, err := caller.API(ctx, "uuid_send_dtmf "+id+" 42#"); err != nil {
		fmt.Println(err)
		return
	}
	pin := <-app.pins
	fmt.Printf("digits %q, ended by %s %q\n", pin.Digits, pin.End, pin.Terminator)
	// Output:
	// digits "42", ended by terminator "#"
}
