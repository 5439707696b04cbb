package measure

import "time"

// Facts are what a load test's dialer knows of one offered call and the
// servers do not: when it was picked and written, its outcome in the
// outcome table (docs/outcomes.md), its app and hold. In a load test the
// call recorder (package collect) writes a call's record when its Facts arrive, so there is exactly
// one record per offered call, sent or not.
type Facts struct {
	CallID      string
	Seq         int64
	Server      string
	App         string
	Destination string
	// Outcome is failed, completed, dropped or abandoned; Cause the
	// hang-up or originate cause (or a SWITCHIO_* cause).
	Outcome, Cause string
	// Picked is when the call was handed to a sender, Sent when its
	// originate was written, LocalAnswer and LocalHangup when its A leg's
	// answer and hang-up reached the controller (local clock; zero when
	// not reached).
	Picked, Sent, LocalAnswer, LocalHangup time.Time
	Hold                                   time.Duration
	// BillMsec is the A leg's billmsec as reported (-1: not reported).
	BillMsec int64
	// AudioLegs are the legs the call's app needs audio on
	// (AudioReceiver): the record gets the RTP check's verdicts.
	AudioLegs Legs
	// HangupBy, when set, is who ended the call where the outcome does
	// not say: "server" for a completed call its server's scheduled
	// hang-up ended (Record.HangupBy).
	HangupBy string
}
