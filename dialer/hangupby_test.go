package dialer_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// Who ended a completed call: switchio's own hang-up (uuid_kill after the
// hold) by default, the server's scheduled hang-up with ServerHangup. The
// outcome (completed) and the cause (NORMAL_CLEARING) are the same; only
// the dialer knows which it was.
func TestCallRecordHangupBy(t *testing.T) {
	for _, tc := range []struct {
		name         string
		serverHangup bool
		want         string
	}{
		{"switchio's hang-up", false, ""},
		{"server hang-up", true, "server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := dialer.Config{Rate: 20, Limit: 100, MaxOffered: 4, Duration: time.Second, ServerHangup: tc.serverHangup}
			r := newRecorder(&cfg)
			o, _ := newDialer(t, 1, cfg, fsemu.Config{}, true)
			run(t, o)
			o.Close()
			checkAccounting(t, o.Summary(), r)
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, c := range r.recs {
				if c.Outcome != dialer.Completed || c.Cause != "NORMAL_CLEARING" || c.HangupBy != tc.want {
					t.Errorf("call %d: %s %s, hung up by %q, want completed NORMAL_CLEARING by %q", c.Seq, c.Outcome, c.Cause, c.HangupBy, tc.want)
				}
				if f := c.Facts(); f.HangupBy != tc.want {
					t.Errorf("call %d: facts hung up by %q, want %q", c.Seq, f.HangupBy, tc.want)
				}
			}
		})
	}
}
