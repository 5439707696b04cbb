package fsemu

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestAPIContext: Server.API waits for a blocking command's result only
// until ctx ends, and refuses a closed server, with an error either way;
// FreeSWITCH's own "-ERR" output is output, not an error.
func TestAPIContext(t *testing.T) {
	clock := NewVirtualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	c := RunClusterT(t, 2, Config{Clock: clock, HeartbeatInterval: -1}) // the far end parks unanswered
	s := c.Server(0)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	out, err := s.API(ctx, "originate sofia/external/1000@"+c.Server(1).SIPAddr()+" &park()")
	if !errors.Is(err, context.DeadlineExceeded) || out != "" {
		t.Fatalf("originate nobody answers: %q, %v; want a deadline error", out, err)
	}
	out, err = s.API(context.Background(), "uuid_kill nosuch")
	if err != nil || out != "-ERR No such channel!\n" {
		t.Fatalf("uuid_kill nosuch: %q, %v", out, err)
	}
	s.HangupAll("NORMAL_CLEARING")
	s.Close()
	if _, err := s.API(context.Background(), "status"); err == nil {
		t.Fatal("api on a closed server: no error")
	}
}
