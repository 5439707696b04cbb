package dialer

import "time"

// offeredRate is the rate calls were offered at: (offered - 1) over the
// time from the first offer to the last (0 for fewer than two offers), so
// n calls offered at an exact rate r give r.
func offeredRate(offered uint64, firstOffer, lastOffer time.Duration) float64 {
	if offered < 2 || lastOffer <= firstOffer {
		return 0
	}
	return float64(offered-1) / (lastOffer - firstOffer).Seconds()
}

// achievedRate is the rate the servers set calls up at: (answered - 1)
// over the longer of the answers' span (first answer to last) and the
// offers' span (first offer to last). It never exceeds offeredRate: a
// server that keeps up answers over about the offers' span, and set-up
// times that vary would otherwise bunch some answers closer than the
// offers that caused them and report a server faster than the calls it
// was given (50.29 cps for 49.99 offered). A server that falls behind
// spreads its answers over a longer span than the offers (its backlog
// clears after offering stops): the figure is then the rate it managed,
// below the offered rate; one that fails calls answers fewer. A far end
// that rings long shifts the answers, not their span: the rate, not the
// latency. 0 for fewer than two answers.
func achievedRate(answered uint64, firstOffer, lastOffer, firstAnswer, lastAnswer time.Duration) float64 {
	span := max(lastAnswer-firstAnswer, lastOffer-firstOffer)
	if answered < 2 || span <= 0 {
		return 0
	}
	return float64(answered-1) / span.Seconds()
}
