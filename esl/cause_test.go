package esl_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/fsemu"
)

func TestCommandErrorCause(t *testing.T) {
	cases := []struct{ reply, want string }{
		{"-ERR NORMAL_TEMPORARY_FAILURE", "NORMAL_TEMPORARY_FAILURE"},
		{"-ERR USER_BUSY", "USER_BUSY"},
		{"-ERR DESTINATION_OUT_OF_ORDER\n", "DESTINATION_OUT_OF_ORDER"},
		{"-ERR No such channel!", ""},
		{"-ERR invalid", ""},
		{"-ERR NOT_A_CAUSE", ""},
		{"-USAGE: <uuid> [cause]", ""},
		{"+OK USER_BUSY", ""},
		{"", ""},
	}
	for _, tc := range cases {
		e := &esl.CommandError{Command: "api originate x", Reply: tc.reply}
		if got := e.Cause(); got != tc.want {
			t.Errorf("Cause of %q = %q, want %q", tc.reply, got, tc.want)
		}
	}
}

// TestOriginateCause: the cause of a failed originate, through both
// paths that build the error (api and bgapi's BACKGROUND_JOB).
func TestOriginateCause(t *testing.T) {
	c := fsemu.RunClusterT(t, 2, fsemu.Config{Inbound: fsemu.Inbound{Action: "busy"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := esl.Dial(ctx, c.Server(0).Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dial := "originate sofia/external/1000@" + c.Server(1).SIPAddr() + " &park()"
	_, apiErr := conn.API(ctx, dial)
	job, err := conn.BgAPI(ctx, dial)
	if err != nil {
		t.Fatal(err)
	}
	_, jobErr := job.Wait(ctx)
	for name, err := range map[string]error{"api": apiErr, "bgapi": jobErr} {
		var ce *esl.CommandError
		if !errors.As(err, &ce) || ce.Cause() != "USER_BUSY" {
			t.Errorf("%s: %v, want a CommandError with cause USER_BUSY", name, err)
		}
	}
}

// A far end that is busy: the originate's error carries the hang-up
// cause to branch on.
func ExampleCommandError_Cause() {
	ctx := context.Background()
	c, err := fsemu.StartCluster(ctx, 2, fsemu.Config{Inbound: fsemu.Inbound{Action: "busy"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	conn, err := esl.Dial(ctx, c.Server(0).Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	job, err := conn.BgAPI(ctx, "originate sofia/external/1000@"+c.Server(1).SIPAddr()+" &park()")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = job.Wait(ctx)
	var ce *esl.CommandError
	if errors.As(err, &ce) {
		switch ce.Cause() {
		case "USER_BUSY", "CALL_REJECTED":
			fmt.Println("busy: try later")
		case "":
			fmt.Println("failed:", ce.Reply)
		default:
			fmt.Println("failed with cause", ce.Cause())
		}
	}
	// Output: busy: try later
}
