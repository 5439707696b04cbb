// Package blockers provides far ends that do not simply answer:
// CalleeBlockOnInvite rejects each call, CalleeRingback rings for a while
// and then hangs up or answers. Loaded on the called server (switchio
// serve, or dial with the far end on a server of the pool), they make a
// FreeSWITCH behave like a busy, unreachable or slow-to-answer network,
// as the dialer's failure and early-media handling need to be tested
// against.
package blockers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// CalleeBlockOnInvite rejects each inbound call: with a SIP response
// code (the respond application, e.g. 486 Busy Here) or, when Cause is
// set, by hanging it up with that cause (which sofia maps to its SIP
// response: USER_BUSY is 486, CALL_REJECTED 603 ...).
type CalleeBlockOnInvite struct {
	Code  int    `param:"code" help:"SIP response code to reject with (400-699)"`
	Cause string `param:"cause" help:"hang-up cause to reject with instead (e.g. USER_BUSY)"`
}

// Description implements appkit.Describer.
func (b *CalleeBlockOnInvite) Description() string {
	return "Rejects every inbound call with a SIP code (respond, default 486) or a hang-up cause."
}

// Setup implements cluster.App.
func (b *CalleeBlockOnInvite) Setup(ctx context.Context, r *cluster.Registrar) error {
	if b.Cause == "" && (b.Code < 400 || b.Code > 699) {
		return fmt.Errorf("CalleeBlockOnInvite: code %d is not a SIP failure (400-699)", b.Code)
	}
	if b.Cause != "" && !validCause(b.Cause) {
		return fmt.Errorf("CalleeBlockOnInvite: cause %q is not a hang-up cause (upper case and _, e.g. USER_BUSY)", b.Cause)
	}
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		s := appkit.CalledLeg(ev)
		if s == nil {
			return
		}
		if b.Cause != "" {
			_ = s.Queue().Hangup(b.Cause)
			return
		}
		_ = s.Queue().Respond(strconv.Itoa(b.Code))
	})
	return nil
}

func validCause(c string) bool {
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r == '_' || r >= '0' && r <= '9') {
			return false
		}
	}
	return c != ""
}

// DefaultRingback is the North American ringback tone (440+480 Hz, 2 s on,
// 4 s off), as FreeSWITCH's us-ring.
const DefaultRingback = "%(2000,4000,440,480)"

// CalleeRingback rings each inbound call for Ring, then hangs it up with
// Cause (Then "hangup") or answers it and echoes (Then "answer"). With
// Media it sends early media (183 with SDP, pre_answer) playing Tone, as
// a carrier's ringback does; otherwise it rings plainly (180,
// ring_ready). It is the far end for testing early media and ringing
// against a real FreeSWITCH.
type CalleeRingback struct {
	Ring  time.Duration `param:"ring" help:"how long to ring"`
	Then  string        `param:"then" help:"hangup or answer (and echo) after ringing"`
	Cause string        `param:"cause" help:"hang-up cause after ringing (then=hangup)"`
	Media bool          `param:"media" help:"early media (183 with a ringback tone) instead of a plain 180"`
	Tone  string        `param:"tone" help:"the ringback tone_stream played with media"`

	mu     sync.Mutex
	timers map[*time.Timer]struct{}
}

// Description implements appkit.Describer.
func (c *CalleeRingback) Description() string {
	return "Rings every inbound call (180, or 183 with a ringback tone when media=true) for ring, then hangs up with cause or answers."
}

// Setup implements cluster.App.
func (c *CalleeRingback) Setup(ctx context.Context, r *cluster.Registrar) error {
	switch {
	case c.Ring < 0:
		return fmt.Errorf("CalleeRingback: negative ring %s", c.Ring)
	case c.Then != "hangup" && c.Then != "answer":
		return fmt.Errorf("CalleeRingback: then %q must be hangup or answer", c.Then)
	case c.Then == "hangup" && !validCause(c.Cause):
		return fmt.Errorf("CalleeRingback: cause %q is not a hang-up cause", c.Cause)
	case c.Media && !strings.HasPrefix(c.Tone, "%("):
		return fmt.Errorf("CalleeRingback: tone %q is not a tone_stream definition like %s", c.Tone, DefaultRingback)
	}
	c.mu.Lock()
	if c.timers == nil {
		c.timers = map[*time.Timer]struct{}{}
	}
	c.mu.Unlock()
	r.On("CHANNEL_PARK", c.parked)
	return nil
}

func (c *CalleeRingback) parked(ctx context.Context, ev *cluster.Event) {
	s := appkit.CalledLeg(ev)
	if s == nil {
		return
	}
	q := s.Queue()
	if c.Media {
		_ = q.Execute("pre_answer", "")
		_ = q.Playback(cluster.PlaybackOptions{Params: map[string]string{"loops": "-1"}}, "tone_stream://"+c.Tone)
	} else {
		_ = q.Execute("ring_ready", "")
	}
	c.after(c.Ring, func() {
		if s.HungUp() {
			return
		}
		if c.Then == "hangup" {
			_ = s.Queue().Hangup(c.Cause)
			return
		}
		if c.Media {
			_ = s.Queue().BreakMedia(true)
		}
		_ = s.Queue().Answer()
		_ = s.Queue().Echo()
	})
}

// after runs f after d on its own timer, stopped by Teardown.
func (c *CalleeRingback) after(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		c.mu.Lock()
		_, live := c.timers[t]
		delete(c.timers, t)
		c.mu.Unlock()
		if live {
			f()
		}
	})
	c.timers[t] = struct{}{}
}

// Teardown implements cluster.Teardowner: calls still ringing are left
// to the server.
func (c *CalleeRingback) Teardown(ctx context.Context, cl *cluster.Client) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for t := range c.timers {
		t.Stop()
	}
	clear(c.timers)
	return nil
}
