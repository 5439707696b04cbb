package dialer

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/switchio/switchio/measure"
)

// CallRecord is one offered call, written when it has ended: every
// offered call gets exactly one.
type CallRecord struct {
	// UUID is the A leg's uuid (also the Job-UUID and the call's
	// correlation key); Seq its offer number from 0.
	UUID string
	Seq  uint64
	// Server is the event socket address of the server that placed the
	// call; App the app's label (its spec, e.g. "TonePlay/freq=440").
	Server, App string
	// Picked is when the call was handed to its server's sender (its
	// offer time in the schedule); Offered when the originate was sent
	// (zero for a call never sent); Ringing and EarlyMedia when
	// the originating leg got 180 (CHANNEL_PROGRESS) and 183
	// (CHANNEL_PROGRESS_MEDIA); Answered its CHANNEL_ANSWER; HungUp its
	// hang-up. Zero when not reached. Local clock.
	Picked, Offered, Ringing, EarlyMedia, Answered, HungUp time.Time
	// Cause is the A leg's hang-up cause or the originate's -ERR cause.
	Cause string
	// Outcome is failed, or for answered calls completed, dropped or
	// abandoned (see Outcome).
	Outcome Outcome
	// OK is true for a completed call.
	OK bool
	// Setup is Answered - Offered (0 if never answered); PostDialDelay
	// is the first of Ringing, EarlyMedia and Answered - Offered.
	Setup, PostDialDelay time.Duration
	// Hold is the hold time asked for; BillMsec the A leg's billmsec as
	// the server reported it (-1: not reported); HoldError the time held
	// minus Hold (billmsec when reported, else the local clock), for
	// answered calls.
	Hold      time.Duration
	BillMsec  int64
	HoldError time.Duration
}

// record builds a CallRecord; o.mu held.
func (o *Originator) record(c *call, out Outcome) CallRecord {
	r := CallRecord{UUID: c.uuid, Seq: c.n, Server: c.srv.addr, App: c.app.label,
		Picked: o.at(c.picked), Offered: o.at(c.offered), Ringing: o.at(c.ringing), EarlyMedia: o.at(c.earlyMedia),
		Answered: o.at(c.answered), HungUp: o.at(c.hungUp), Cause: c.cause,
		Outcome: out, OK: out == Completed, Hold: c.hold, BillMsec: c.billmsec}
	if !c.sent {
		r.Offered = time.Time{}
	}
	if c.answered != 0 {
		r.Setup = c.answered - c.offered
	}
	if first := firstOf(c.ringing, c.earlyMedia, c.answered); first != 0 {
		r.PostDialDelay = first - c.offered
	}
	if d, ok := o.holdError(c); ok {
		r.HoldError = d
	}
	return r
}

// firstOf returns the earliest non-zero offset (0 if none).
func firstOf(ts ...time.Duration) time.Duration {
	var first time.Duration
	for _, t := range ts {
		if t != 0 && (first == 0 || t < first) {
			first = t
		}
	}
	return first
}

// CSVHeader is the header row CSVWriter writes.
var CSVHeader = []string{"uuid", "seq", "server", "app", "offered", "answered", "hangup", "cause", "ok", "setup_ms",
	"outcome", "ringing", "early_media", "pdd_ms", "hold_ms", "billmsec", "hold_error_ms"}

// CSVWriter writes call records as CSV rows (times in RFC 3339 with
// nanoseconds, UTC; empty when not reached).
type CSVWriter struct {
	w      *csv.Writer
	header bool
	row    []string
}

// NewCSVWriter returns a writer to w; the header is written with the
// first row (or on Flush).
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

func (c *CSVWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.w.Write(CSVHeader)
}

// Write writes one record.
func (c *CSVWriter) Write(r CallRecord) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	ms := func(d time.Duration, ok bool) string {
		if !ok {
			return ""
		}
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
	}
	answered := !r.Answered.IsZero()
	bill := ""
	if r.BillMsec >= 0 {
		bill = strconv.FormatInt(r.BillMsec, 10)
	}
	c.row = append(c.row[:0], r.UUID, strconv.FormatUint(r.Seq, 10), r.Server, r.App, ts(r.Offered), ts(r.Answered),
		ts(r.HungUp), r.Cause, strconv.FormatBool(r.OK), ms(r.Setup, r.Setup > 0),
		r.Outcome.String(), ts(r.Ringing), ts(r.EarlyMedia), ms(r.PostDialDelay, r.PostDialDelay > 0),
		ms(r.Hold, true), bill, ms(r.HoldError, answered))
	return c.w.Write(c.row)
}

// Flush writes buffered rows to the underlying writer.
func (c *CSVWriter) Flush() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

// Facts returns what the dialer knows of the call for a CDR
// (measure.CDR.Complete): exactly one per offered call.
func (r CallRecord) Facts() measure.Facts {
	return measure.Facts{CallID: r.UUID, Seq: int64(r.Seq), Server: r.Server, App: r.App,
		Outcome: r.Outcome.String(), Cause: r.Cause, Picked: r.Picked, Sent: r.Offered,
		LocalAnswer: r.Answered, LocalHangup: r.HungUp, Hold: r.Hold, BillMsec: r.BillMsec}
}
