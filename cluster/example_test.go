package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

// Answerer is a tiny app: it answers inbound calls when they park. Its
// handler runs on the event loop, so it queues the answer, which returns at
// once (the waiting Answer would fail there with ErrWouldBlock).
type Answerer struct{}

func (Answerer) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		if ev.Session.IsInbound() {
			_ = ev.Session.Queue().Answer()
		}
	})
	return nil
}

// startServers starts n emulated FreeSWITCH servers that can call each
// other; against real servers only the addresses change.
func startServers(ctx context.Context, n int) []*fsemu.Server {
	net := fsemu.NewNetwork()
	var out []*fsemu.Server
	for i := 0; i < n; i++ {
		s, err := fsemu.Start(ctx, fsemu.Config{Network: net})
		if err != nil {
			panic(err)
		}
		out = append(out, s)
	}
	return out
}

// A client loads an app on one server; a call placed from another server
// is answered by it. The originate's background job completes when the far
// end answers.
func ExampleClient_Load() {
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
	// calls that name no app id run the apps loaded under "default"
	if err := callee.Load(ctx, cluster.DefaultAppID, Answerer{}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(callee.Apps(cluster.DefaultAppID))

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
	out, err := job.Wait(ctx)
	fmt.Println(strings.HasPrefix(out, "+OK"), err)
	// Output:
	// [Answerer]
	// true <nil>
}

// A pool controls several servers and joins the legs of one call across
// them by a correlation header: here the caller's uuid, sent as
// X-switchio_originating_session (what the dialer does).
func ExamplePool() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs := startServers(ctx, 2)
	defer fs[0].Close()
	defer fs[1].Close()

	pool, err := cluster.NewPool(ctx, []string{fs[0].Addr(), fs[1].Addr()}, cluster.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	if err := pool.Load(ctx, "demo", Answerer{}); err != nil {
		fmt.Println(err)
		return
	}
	id := "6f1c2a4e-0000-4000-8000-000000000001"
	req := originate.Request{Dest: "1000@" + fs[1].SIPAddr(), UUID: id, Headers: []originate.Var{
		{Name: "X-switchio_originating_session", Value: id},
		{Name: "X-switchio_app", Value: "demo"},
	}}
	cmd, _ := req.Command()
	job, err := pool.Clients()[0].BgAPI(ctx, cmd)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := job.Wait(ctx); err != nil { // answered by the app on fs[1]
		fmt.Println(err)
		return
	}
	// The job completes as the far end answers; the loops see the legs'
	// CHANNEL_ANSWER events on their own connections, a moment apart.
	bothAnswered := func() bool {
		c := pool.Call(id)
		return c != nil && c.Len() == 2 && c.First().Answered() && c.Last().Answered()
	}
	for !bothAnswered() {
		time.Sleep(time.Millisecond)
	}
	call := pool.Call(id)
	for _, leg := range call.Sessions() {
		server := 0
		if leg.Client() == pool.Clients()[1] {
			server = 1
		}
		fmt.Printf("leg on server %d: %s, app %s, answered %v\n", server, leg.Direction(), leg.AppID(), leg.Answered())
	}
	if err := call.Hangup(ctx, ""); err != nil {
		fmt.Println(err)
	}
	for pool.ActiveCalls() > 0 || pool.Counters().SessionsActive > 0 {
		time.Sleep(time.Millisecond)
	}
	k := pool.Counters()
	fmt.Println("sessions", k.SessionsTotal, "calls", k.CallsDone, "per app", k.SessionsPerApp)
	// Output:
	// leg on server 0: outbound, app demo, answered true
	// leg on server 1: inbound, app demo, answered true
	// sessions 2 calls 1 per app map[demo:2]
}

// flowDemo runs a sequential call flow per inbound call. In a flow, Session
// methods wait: Answer returns once the channel is answered, ExecuteWait
// once the application finished, and any wait fails with ErrHungUp as soon
// as the channel hangs up.
type flowDemo struct{ trail chan string }

func (f flowDemo) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.Flow("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) error {
		s := ev.Session
		if !s.IsInbound() {
			return nil
		}
		defer close(f.trail)
		if err := s.Answer(ctx); err != nil {
			return err
		}
		f.trail <- fmt.Sprint("answered ", s.Answered())
		done, err := s.ExecuteWait(ctx, "playback", "silence_stream://200")
		if err != nil {
			return err
		}
		f.trail <- "played, " + done.Get("Application") + " completed"
		if err := s.Hangup(ctx, "NORMAL_CLEARING"); err != nil {
			return err
		}
		_, err = s.Recv(ctx, "CHANNEL_HANGUP_COMPLETE")
		f.trail <- "hung up: " + s.HangupCause()
		return err
	})
	return nil
}

func ExampleRegistrar_Flow() {
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
	app := flowDemo{trail: make(chan string, 3)}
	if err := callee.Load(ctx, "", app); err != nil {
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
	if _, err := caller.BgAPI(ctx, cmd); err != nil {
		fmt.Println(err)
		return
	}
	for step := range app.trail {
		fmt.Println(step)
	}
	// Output:
	// answered true
	// played, playback completed
	// hung up: NORMAL_CLEARING
}

// callApp loads app on the callee server's default app id and places a
// call into it from the caller server, returning the caller's client
// (to act on the call, A leg uuid id) and a func that closes both
// clients. The call's api originate returns once it is answered.
func callApp(ctx context.Context, caller, callee *fsemu.Server, app cluster.App, id string) (*cluster.Client, func(), error) {
	cc, err := cluster.Dial(ctx, callee.Addr(), cluster.Config{})
	if err != nil {
		return nil, nil, err
	}
	if err := cc.Load(ctx, cluster.DefaultAppID, app); err != nil {
		cc.Close()
		return nil, nil, err
	}
	c, err := cluster.Dial(ctx, caller.Addr(), cluster.Config{})
	if err != nil {
		cc.Close()
		return nil, nil, err
	}
	stop := func() { c.Close(); cc.Close() }
	cmd, _ := (&originate.Request{Dest: "1000@" + callee.SIPAddr(), UUID: id}).Command()
	if _, err := c.API(ctx, cmd); err != nil {
		stop()
		return nil, nil, err
	}
	return c, stop, nil
}
