package appkit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

// A router answers calls to 1xxx and plays a tone, over two emulated
// servers; against real servers only the addresses change.
func ExampleRouter() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	net := fsemu.NewNetwork()
	fs1, _ := fsemu.Start(ctx, fsemu.Config{Network: net})
	defer fs1.Close()
	fs2, _ := fsemu.Start(ctx, fsemu.Config{Network: net})
	defer fs2.Close()

	answered := make(chan string, 1)
	r := &appkit.Router{}
	r.MustRoute(`^1\d{3}$`, func(ctx context.Context, s *cluster.Session, m []string) error {
		if err := s.Answer(ctx); err != nil {
			return err
		}
		answered <- s.Destination()
		_, err := s.Playback(ctx, cluster.PlaybackOptions{}, "tone_stream://%(1000,0,440)") // until played
		return err
	})

	svcCtx, stop := context.WithCancel(ctx)
	ready := make(chan *cluster.Pool, 1)
	done := make(chan error, 1)
	svc := &appkit.Service{
		Addrs: []string{fs1.Addr(), fs2.Addr()},
		Apps:  map[string][]appkit.Loadable{"demo": {appkit.Shared(r)}},
		Ready: func(p *cluster.Pool) { ready <- p },
	}
	go func() { done <- svc.Run(svcCtx) }()
	pool := <-ready

	// place a call from fs1 to fs2, tagged for the "demo" apps
	req := originate.Request{Dest: "1234@" + fs2.SIPAddr()}
	if _, err := appkit.SyncCall(ctx, pool.Clients()[0], req, "demo", nil); err != nil {
		fmt.Println(err)
	}
	fmt.Println("answered", <-answered)
	stop()
	fmt.Println(<-done)
	// Output:
	// answered 1234
	// <nil>
}
