package measure

import "testing"

// CheckRTP: a leg the app needs audio on that received no RTP media fails
// the call's rtp_ok and is named in no_rtp; legs without figures, calls
// answered a second or less and apps that need no audio are not checked.
func TestCheckRTP(t *testing.T) {
	ms := func(v int64) *int64 { return &v }
	rtp := func(in int64) *RTP { return &RTP{InPackets: in} }
	cases := []struct {
		name           string
		legs           Legs
		bill           *int64
		caller, callee *RTP
		checked        bool
		noRTP          string
	}{
		{"both received", BothLegs, ms(3000), rtp(140), rtp(150), true, ""},
		{"no RTP either way", BothLegs, ms(3000), rtp(0), rtp(0), true, "caller,callee"},
		{"callee silent", BothLegs, ms(3000), rtp(140), rtp(0), true, "callee"},
		{"only the callee needs audio", LegCallee, ms(3000), rtp(0), rtp(150), true, ""},
		{"callee not seen", BothLegs, ms(3000), rtp(0), nil, true, "caller"},
		{"no figures", BothLegs, ms(3000), nil, nil, false, ""},
		{"one second", BothLegs, ms(1000), rtp(0), rtp(0), false, ""},
		{"billmsec unknown", BothLegs, nil, rtp(0), rtp(0), false, ""},
		{"app needs none", 0, ms(3000), rtp(0), rtp(0), false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Record{BillMsec: tc.bill, CallerRTP: tc.caller, CalleeRTP: tc.callee}
			CheckRTP(&r, tc.legs)
			ok, set := r.Verdicts[VerdictRTPOK], r.Verdicts[VerdictNoRTP]
			if !tc.checked {
				if len(r.Verdicts) != 0 {
					t.Fatalf("checked: %v", r.Verdicts)
				}
				return
			}
			if ok.Bool == nil || set.String == nil || *ok.Bool != (tc.noRTP == "") || *set.String != tc.noRTP {
				t.Fatalf("rtp_ok %v no_rtp %v, want no_rtp %q", ok.Bool, set.String, tc.noRTP)
			}
		})
	}
}
