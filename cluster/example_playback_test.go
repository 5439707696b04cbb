package cluster_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/cluster"
)

// Prompter answers each inbound call in a flow, plays a prompt and waits
// until it has played: Playback returns at the end of the file, with
// how it ended and what it played.
type Prompter struct{ played chan cluster.PlaybackResult }

func (p Prompter) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.Flow("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) error {
		s := ev.Session
		if !s.IsInbound() {
			return nil
		}
		if err := s.Answer(ctx); err != nil {
			return err
		}
		res, err := s.Playback(ctx, cluster.PlaybackOptions{}, "tone_stream://%(500,0,440)")
		if err != nil {
			return err
		}
		p.played <- res
		return s.Hangup(ctx, "")
	})
	return nil
}

// A flow waits for its prompt to play to the end before it hangs up.
func ExampleSession_Playback() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs := startServers(ctx, 2)
	defer fs[0].Close()
	defer fs[1].Close()

	p := Prompter{played: make(chan cluster.PlaybackResult, 1)}
	_, stop, err := callApp(ctx, fs[0], fs[1], p, "6f1c2a4e-0000-4000-8000-000000000025")
	fmt.Println("answered:", err == nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	res := <-p.played
	fmt.Println(res.Response, res.Status, res.Played)
	// Output:
	// answered: true
	// FILE PLAYED done 500ms
}
