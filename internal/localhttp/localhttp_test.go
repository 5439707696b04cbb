package localhttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:0", false, true},
		{"[::1]:9090", false, true},
		{"localhost:80", false, true},
		{"LOCALHOST:80", false, true},
		{"0.0.0.0:9090", false, false},
		{":9090", false, false},
		{"[::]:9090", false, false},
		{"10.0.0.1:9090", false, false},
		{"fs1.example:9090", false, false},
		{"0.0.0.0:9090", true, true},
		{"nowhere", false, false},
	} {
		err := CheckAddr(tc.addr, tc.remote, "test")
		if (err == nil) != tc.ok {
			t.Errorf("CheckAddr(%q, %v) = %v", tc.addr, tc.remote, err)
		}
		if err != nil && tc.addr != "nowhere" && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckAddr(%q): %v is not ErrNotLoopback", tc.addr, err)
		}
	}
}

func TestServeStopsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	after := make(chan struct{})
	s := Serve(ctx, ln, &http.Server{Handler: http.NotFoundHandler()}, "test", func() { close(after) })
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get("http://" + s.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d", resp.StatusCode)
	}
	client.CloseIdleConnections()
	cancel()
	if err := s.Wait(); err != nil {
		t.Fatalf("Wait after cancel: %v", err)
	}
	<-after
	if _, err := client.Get("http://" + s.Addr() + "/"); err == nil {
		t.Fatal("still serving after its context ended")
	}
	client.CloseIdleConnections()
}

// HostAllowed passes IP literals, localhost and the configured names, and
// nothing else: a rebound host name is refused.
func TestHostAllowed(t *testing.T) {
	names := []string{"metrics.internal", ""}
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:9090", true},
		{"127.0.0.1", true},
		{"10.1.2.3:9090", true},
		{"10.1.2.3:19090", true}, // a forwarded port
		{"[::1]:9090", true},
		{"[::1]", true},
		{"[2001:db8::7]:9090", true},
		{"localhost:9090", true},
		{"LocalHost", true},
		{"metrics.internal:9090", true},
		{"METRICS.internal", true},
		{"evil.example:9090", false},
		{"evil.example", false},
		{"127.0.0.1.evil.example:9090", false},
		{"metrics.internal.evil.example:9090", false},
		{"", false},
		{":9090", false},
		{"[]:9090", false},
	} {
		if got := HostAllowed(tc.host, names...); got != tc.ok {
			t.Errorf("HostAllowed(%q) = %v, want %v", tc.host, got, tc.ok)
		}
	}
}
