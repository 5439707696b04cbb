package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DigitOptions say when CollectDigits stops. At least one of Max,
// Terminators, InterDigit (or FirstDigit) and Total must be set: nothing
// else ends a collection but the ctx. Zero durations do not limit.
type DigitOptions struct {
	// Max stops the collection once this many digits are in (0: no
	// count).
	Max int
	// Terminators are digits that end the collection, such as "#"; the
	// one pressed is DigitResult.Terminator, not part of Digits.
	Terminators string
	// FirstDigit bounds the wait for the first digit (0: InterDigit), for
	// callers who need longer to start than between two digits.
	FirstDigit time.Duration
	// InterDigit bounds the wait for each further digit (and for the first
	// when FirstDigit is 0), counted from the previous digit's arrival.
	InterDigit time.Duration
	// Total bounds the whole collection, from the call.
	Total time.Duration
}

func (o DigitOptions) check() error {
	switch {
	case o.Max < 0:
		return fmt.Errorf("%w: digit count %d is negative", ErrBadArgument, o.Max)
	case o.FirstDigit < 0 || o.InterDigit < 0 || o.Total < 0:
		return fmt.Errorf("%w: digit timeouts %v, %v, %v: negative", ErrBadArgument, o.FirstDigit, o.InterDigit, o.Total)
	case o.Max == 0 && o.Terminators == "" && o.FirstDigit == 0 && o.InterDigit == 0 && o.Total == 0:
		return fmt.Errorf("%w: digit collection with no count, terminator or timeout", ErrBadArgument)
	}
	return nil
}

// DigitEnd says why a collection ended.
type DigitEnd string

// The ways a collection ends without an error.
const (
	// DigitsMax: DigitOptions.Max digits were collected.
	DigitsMax DigitEnd = "max"
	// DigitsTerminator: a terminator was pressed.
	DigitsTerminator DigitEnd = "terminator"
	// DigitsTimeout: no digit came within FirstDigit or InterDigit.
	DigitsTimeout DigitEnd = "digit_timeout"
	// DigitsTotalTimeout: the collection lasted Total.
	DigitsTotalTimeout DigitEnd = "total_timeout"
)

// DigitResult is what CollectDigits collected.
type DigitResult struct {
	// Digits are the digits pressed, in order, without the terminator.
	Digits string
	// Terminator is the terminator that ended the collection ("" if none).
	Terminator string
	// End says why the collection ended ("" when it failed).
	End DigitEnd
}

// CollectDigits reads DTMF digits (the DTMF-Digit of DTMF events) from
// the stream until opts end the collection: Max digits, a terminator, a
// digit timeout or the total timeout. A timeout is not an error: the
// result says how the collection ended, with the digits so far.
//
// Digits buffered before the call count, in order, so a caller may
// type ahead during a prompt when the stream was opened before it; digits
// after the one that ended the collection stay buffered for the next.
// Other events read from the stream are skipped (open a stream of "DTMF"
// alone). On an error (hang-up, ErrEventsDropped, ctx) the result holds
// the digits collected so far.
func (st *EventStream) CollectDigits(ctx context.Context, opts DigitOptions) (DigitResult, error) {
	var res DigitResult
	if err := opts.check(); err != nil {
		return res, err
	}
	var total <-chan time.Time
	if opts.Total > 0 {
		t := time.NewTimer(opts.Total)
		defer t.Stop()
		total = t.C
	}
	var digits strings.Builder
	for {
		wait := opts.InterDigit
		if digits.Len() == 0 && opts.FirstDigit > 0 {
			wait = opts.FirstDigit
		}
		ev, end, err := st.nextDigitEvent(ctx, wait, total)
		res.Digits = digits.String()
		if err != nil {
			return res, err
		}
		if end != "" {
			res.End = end
			return res, nil
		}
		d := ev.Get("DTMF-Digit")
		if d == "" {
			continue // not a DTMF event
		}
		if strings.Contains(opts.Terminators, d) {
			res.Terminator, res.End = d, DigitsTerminator
			return res, nil
		}
		digits.WriteString(d)
		res.Digits = digits.String()
		if opts.Max > 0 && digits.Len() >= opts.Max {
			res.End = DigitsMax
			return res, nil
		}
	}
}

// nextDigitEvent waits for the stream's next event for at most wait (0:
// no bound) and until total fires, saying which timeout ended the wait.
func (st *EventStream) nextDigitEvent(ctx context.Context, wait time.Duration, total <-chan time.Time) (*Event, DigitEnd, error) {
	var digit <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		digit = t.C
	}
	return st.next(ctx, digit, total)
}
