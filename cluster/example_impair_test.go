package cluster_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// An app under test on an impaired server: the emulated far end loses
// every DTMF digit it receives (Impairments.DTMFDrop), so the PIN route
// hears nothing and its collection ends at the first-digit timeout,
// which is what a test of the route's error path wants to see.
func Example_impairedServer() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	net := fsemu.NewNetwork()
	fs1, err := fsemu.Start(ctx, fsemu.Config{Network: net})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fs1.Close()
	fs2, err := fsemu.Start(ctx, fsemu.Config{Network: net, Impairments: fsemu.Impairments{DTMFDrop: 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fs2.Close()

	app := pinPrompt{pins: make(chan cluster.DigitResult, 1), opts: &cluster.DigitOptions{Max: 4, Terminators: "#",
		FirstDigit: time.Second, InterDigit: time.Second}}
	id := "6f1c2a4e-0000-4000-8000-000000000024"
	caller, stop, err := callApp(ctx, fs1, fs2, app, id)
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
	fmt.Printf("digits %q, ended by %s\n", pin.Digits, pin.End)
	// Output:
	// digits "", ended by digit_timeout
}
