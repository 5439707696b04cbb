package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/web"
	"github.com/switchio/switchio/fsemu"
)

// The live view of a dial against an emulated server: GET /api/stats gives
// the figures to anyone who can reach the (loopback) server, while a change
// such as POST /api/rate needs the server's token in its X-Switchio-Token
// header.
func ExampleServe() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, _ := fsemu.Start(ctx, fsemu.Config{})
	defer srv.Close()
	pool, err := cluster.NewPool(ctx, []string{srv.Addr()}, cluster.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	d, err := dialer.New(ctx, pool, dialer.Config{Rate: 50, Limit: 20, MaxOffered: 5, Duration: 100 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()

	webCtx, stop := context.WithCancel(ctx)
	defer stop()
	s, err := web.Serve(webCtx, "127.0.0.1:0", false, d)
	if err != nil {
		fmt.Println(err)
		return
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, token := range []string{"", s.Token()} {
		req, _ := http.NewRequest("POST", "http://"+s.Addr()+"/api/rate", strings.NewReader(`{"rate":100}`))
		req.Header.Set(web.TokenHeader, token)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			fmt.Println("POST /api/rate:", resp.Status)
		}
	}

	if _, err := d.LoadSpec(ctx, apps.Builtin(), "TonePlay", 1); err == nil && d.Start() == nil {
		d.Wait(ctx)
	}
	var snap web.Snapshot
	if resp, err := client.Get("http://" + s.Addr() + "/api/stats"); err == nil {
		json.NewDecoder(resp.Body).Decode(&snap)
		resp.Body.Close()
	}
	fmt.Printf("offered %d, answered %d, rate %v\n", snap.Offered, snap.Answered, snap.Rate)
	stop()
	fmt.Println("stopped:", s.Wait())
	// Output:
	// POST /api/rate: 403 Forbidden
	// POST /api/rate: 200 OK
	// offered 5, answered 5, rate 100
	// stopped: <nil>
}
