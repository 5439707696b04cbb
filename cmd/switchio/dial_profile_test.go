package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/fsemu"
)

// A --profile the server does not have stops the run before any call,
// saying so on one line and naming the server's profiles.
func TestDialUnknownProfile(t *testing.T) {
	srv := fsemu.RunT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := runRoot(ctx, "dial", srv.Addr(), "--setup=false", "--profile", "internalx", "--max-offered", "1")
	if err == nil {
		t.Fatal("dial ran with a profile the server does not have")
	}
	msg := err.Error()
	for _, want := range []string{`no such sofia profile "internalx" on ` + srv.Addr(), "its profiles are external, internal"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "BIND-URL") || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line, no BIND-URL", msg)
	}
	if n := srv.SessionsSinceStartup(); n != 0 {
		t.Errorf("%d calls placed", n)
	}
}
