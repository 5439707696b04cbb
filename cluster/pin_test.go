package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
)

// pinRoute is the IVR route of the tests: it opens the session's DTMF
// stream before it answers (so no digit can come before the stream),
// collects a 4-digit PIN ('#' ends it early) and reports it with the
// digits the leg received by the server's account (digits_dialed, read
// from the hang-up it buffered too).
type pinRoute struct {
	results chan pinResult
}

type pinResult struct {
	call     string // the call's key: the A leg's uuid
	pin      string
	end      cluster.DigitEnd
	received string // digits_dialed: what reached the leg ("" for none)
	err      error
}

var pinOptions = cluster.DigitOptions{Max: 4, Terminators: "#", FirstDigit: 3 * time.Second,
	InterDigit: 1500 * time.Millisecond, Total: 10 * time.Second}

func (p *pinRoute) Setup(ctx context.Context, r *cluster.Registrar) error {
	r.Flow("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) error {
		s := ev.Session
		if !s.IsInbound() {
			return nil
		}
		res := pinResult{call: s.Call().Key()}
		defer func() { p.results <- res }()
		dtmf, err := s.Events(ctx, "DTMF")
		if err != nil {
			res.err = err
			return err
		}
		defer dtmf.Close()
		end, err := s.Events(ctx, "CHANNEL_HANGUP_COMPLETE")
		if err != nil {
			res.err = err
			return err
		}
		defer end.Close()
		if err := s.Answer(ctx); err != nil {
			res.err = err
			return err
		}
		got, err := dtmf.CollectDigits(ctx, pinOptions)
		res.pin, res.end = got.Digits, got.End
		if err != nil {
			res.err = err
			return err
		}
		if err := s.Hangup(ctx, ""); err != nil {
			res.err = err
			return err
		}
		hc, err := end.Next(ctx)
		if err != nil {
			res.err = err
			return err
		}
		if res.received = hc.Get("variable_digits_dialed"); res.received == "none" {
			res.received = ""
		}
		return nil
	})
	return nil
}

// dialPINs places n calls from caller to dest (a SIP address), each sending
// digits once answered, and returns the route's results by call.
func dialPINs(t *testing.T, ctx context.Context, caller *cluster.Client, route *pinRoute, dest, appID, digits string, n int) map[string]pinResult {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := uuid.NewString()
			req := originate.Request{Dest: dest, UUID: id, Headers: []originate.Var{
				{Name: cluster.HeaderOriginatingSession, Value: id},
				{Name: cluster.HeaderApp, Value: appID},
			}}
			cmd, err := req.Command()
			if err != nil {
				errs <- err
				return
			}
			job, err := caller.BgAPI(ctx, cmd)
			if err != nil {
				errs <- err
				return
			}
			if out, err := job.Wait(ctx); err != nil || !strings.HasPrefix(out, "+OK") {
				errs <- fmt.Errorf("originate %s: %q %v", id, out, err)
				return
			}
			if _, err := caller.API(ctx, "uuid_send_dtmf "+id+" "+digits); err != nil {
				errs <- fmt.Errorf("send dtmf on %s: %w", id, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := map[string]pinResult{}
	for len(got) < n {
		select {
		case r := <-route.results:
			got[r.call] = r
		case <-ctx.Done():
			t.Fatalf("%d of %d routes reported", len(got), n)
		}
	}
	return got
}

// emulatedPINServers starts a caller and a callee server (the callee with
// im) and loads the PIN route on the callee under appID.
func emulatedPINServers(t *testing.T, ctx context.Context, im fsemu.Impairments, appID string) (*cluster.Client, *pinRoute, string) {
	t.Helper()
	net := fsemu.NewNetwork()
	s1 := fsemu.RunT(t, fsemu.Config{Network: net})
	s2 := fsemu.RunT(t, fsemu.Config{Network: net, Impairments: im, Seed: 23})
	pool, err := cluster.NewPool(ctx, []string{s1.Addr(), s2.Addr()}, cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	route := &pinRoute{results: make(chan pinResult, 200)}
	if err := pool.Clients()[1].Load(ctx, appID, route); err != nil {
		t.Fatal(err)
	}
	return pool.Clients()[0], route, "1000@" + s2.SIPAddr()
}

// TestPINRouteCollectsEveryDigit: the route collects all four digits on
// each of 100 emulated calls, sent as FreeSWITCH sends them (one every
// 520 ms). Read with a Recv loop, most of these calls lost digits: an
// event arriving while the flow was between two Recv calls was gone.
func TestPINRouteCollectsEveryDigit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller, route, dest := emulatedPINServers(t, ctx, fsemu.Impairments{}, "pin")
	for id, r := range dialPINs(t, ctx, caller, route, dest, "pin", "1234", 100) {
		if r.err != nil || r.pin != "1234" || r.end != cluster.DigitsMax || r.received != "1234" {
			t.Errorf("call %s: pin %q (%s), received %q, err %v", id, r.pin, r.end, r.received, r.err)
		}
	}
}

// TestPINRouteUnderDTMFImpairments: with digits lost and swapped on the
// way (fsemu.Impairments), the PIN collected differs from the digits sent
// exactly on the calls whose leg received other digits, and is then what
// the leg received: the route itself loses nothing.
func TestPINRouteUnderDTMFImpairments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	im := fsemu.Impairments{DTMFDrop: 0.05, DTMFReorder: 0.1}
	caller, route, dest := emulatedPINServers(t, ctx, im, "pin")
	impaired := 0
	for id, r := range dialPINs(t, ctx, caller, route, dest, "pin", "1234", 100) {
		if r.err != nil {
			t.Errorf("call %s: %v", id, r.err)
			continue
		}
		if r.received != "1234" {
			impaired++
		}
		if (r.pin != "1234") != (r.received != "1234") || r.pin != r.received {
			t.Errorf("call %s: pin %q (%s), the leg received %q", id, r.pin, r.end, r.received)
		}
		if len(r.pin) < 4 && r.end != cluster.DigitsTimeout {
			t.Errorf("call %s: short pin %q ended by %s, want a digit timeout", id, r.pin, r.end)
		}
	}
	if impaired == 0 || impaired > 50 {
		t.Fatalf("%d of 100 calls impaired, want some (about 27)", impaired)
	}
	t.Logf("%d of 100 calls impaired", impaired)
}

// TestRealPINRoute: the same route on a real FreeSWITCH (opt-in,
// dialtest.RealServers): the server calls itself through its external
// profile; the far leg parks (docs/far-end-dialplan.md) and the route
// answers it and collects the PIN uuid_send_dtmf sends from the caller.
func TestRealPINRoute(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := cluster.Dial(ctx, real.Addrs[0], cluster.Config{Password: real.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	appID := "pin-" + uuid.NewString()[:8]
	route := &pinRoute{results: make(chan pinResult, 20)}
	if err := c.Load(ctx, appID, route); err != nil {
		t.Fatal(err)
	}
	sip, err := c.SIPAddr(ctx, "external")
	if err != nil {
		t.Fatal(err)
	}
	for id, r := range dialPINs(t, ctx, c, route, "switchio@"+sip, appID, "1234", 5) {
		if r.err != nil || r.pin != "1234" || r.end != cluster.DigitsMax || r.received != "1234" {
			t.Errorf("call %s: pin %q (%s), received %q, err %v", id, r.pin, r.end, r.received, r.err)
		}
	}
}
