package dialer

// Outcome is how an offered call ended. Every offered call is either
// answered (its originating leg reached CHANNEL_ANSWER) or Failed; every
// answered call ends as exactly one of Completed, Dropped or Abandoned. So
// answered + failed == offered and completed + dropped + abandoned ==
// answered, and there is one record per offered call.
type Outcome uint8

// Outcomes.
const (
	// Pending: the call has not ended yet (only seen in live views).
	Pending Outcome = iota
	// Failed: never answered, with the cause the far end gave, or one of
	// switchio's own (CauseSendError, CauseLost ...). Early media (183)
	// is not an answer.
	Failed
	// Completed: answered and held for its hold time, then hung up by
	// switchio (or by the server-side guard).
	Completed
	// Dropped: answered, then ended early by the far end or the network.
	Dropped
	// Abandoned: answered, then ended early by switchio itself (Hupall,
	// drain timeout, interrupt, a lost server).
	Abandoned
)

func (o Outcome) String() string {
	switch o {
	case Pending:
		return "pending"
	case Failed:
		return "failed"
	case Completed:
		return "completed"
	case Dropped:
		return "dropped"
	case Abandoned:
		return "abandoned"
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler (JSON, CSV).
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }
