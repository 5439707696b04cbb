package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// SIPAddr reads a profile's address; for a profile the server does not
// have ("Invalid Profile!", as FreeSWITCH answers) it fails with
// ErrNoProfile naming the profiles the server has, gateways left out.
func TestSIPAddrProfiles(t *testing.T) {
	srv := fsemu.RunT(t, fsemu.Config{Gateways: map[string]string{"telco": "127.0.0.1:5999"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cluster.Dial(ctx, srv.Addr(), cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tests := []struct {
		profile string
		want    string // the address, or what the error says
		noSuch  bool
	}{
		{"external", srv.SIPAddr(), false},
		{"internalx", `no such sofia profile "internalx" on ` + srv.Addr() + ": its profiles are external, internal", true},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			addr, err := c.SIPAddr(ctx, tt.profile)
			if !tt.noSuch {
				if err != nil || addr != tt.want {
					t.Fatalf("%q, %v; want %q", addr, err, tt.want)
				}
				return
			}
			if !errors.Is(err, cluster.ErrNoProfile) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%q, %v; want ErrNoProfile saying %q", addr, err, tt.want)
			}
		})
	}
	names, err := c.SofiaProfiles(ctx)
	if err != nil || strings.Join(names, ",") != "external,internal" {
		t.Fatalf("profiles %q, %v", names, err)
	}
}
