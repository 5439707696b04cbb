package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/originate"
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

	callee, err := cluster.Dial(ctx, fs[1].Addr(), cluster.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer callee.Close()
	p := Prompter{played: make(chan cluster.PlaybackResult, 1)}
	if err := callee.Load(ctx, cluster.DefaultAppID, p); err != nil {
		fmt.Println(err)
		return
	}
	caller, err := cluster.Dial(ctx, fs[0].Addr(), cluster.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer caller.Close()
	cmd, _ := (&originate.Request{Dest: "1000@" + fs[1].SIPAddr()}).Command()
	job, err := caller.BgAPI(ctx, cmd)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := job.Wait(ctx)
	fmt.Println(strings.HasPrefix(out, "+OK"))
	res := <-p.played
	fmt.Println(res.Response, res.Status, res.Played)
	// Output:
	// true
	// FILE PLAYED done 500ms
}
