package fsemu_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/fsemu"
)

// A two-server cluster: the first server calls the second, whose dialplan
// answers; the blocking originate returns the A leg's uuid.
func ExampleStartCluster() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := fsemu.StartCluster(ctx, 2, fsemu.Config{Inbound: fsemu.Inbound{Action: "answer"}})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	conn, err := esl.Dial(ctx, c.Server(0).Addr(), esl.Config{Password: c.Server(0).Password()})
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	out, _ := conn.API(ctx, "originate {origination_uuid=0f0f0f0f-0000-4000-8000-000000000001}sofia/external/1000@"+
		c.Server(1).SIPAddr()+" &park()")
	fmt.Print(out)
	fmt.Println(len(c.Server(1).Channels()), "channel on the second server")
	// Output:
	// +OK 0f0f0f0f-0000-4000-8000-000000000001
	// 1 channel on the second server
}
