package wire

import (
	"strconv"
	"strings"
	"time"
)

// Event is a FreeSWITCH event: its headers in wire order, values decoded,
// duplicates kept, and its body (BACKGROUND_JOB output, sendevent payloads).
//
// Array values (multi-valued channel variables) are kept in FreeSWITCH's
// plain form "ARRAY::a|:b" whatever the wire format; [SplitArray] splits them.
type Event struct {
	Headers []Header
	Body    string
}

// NewEvent returns an event with the given name as its first header.
func NewEvent(name string) *Event {
	return &Event{Headers: []Header{{Name: "Event-Name", Value: name}}}
}

// Get returns the first value of the header called name, or "". Names are
// compared exactly first, then case-insensitively.
func (e *Event) Get(name string) string {
	v, _ := lookup(e.Headers, name)
	return v
}

// Lookup is like Get but also reports whether the header is present.
func (e *Event) Lookup(name string) (string, bool) { return lookup(e.Headers, name) }

// Values returns every value of the header called name, in wire order.
func (e *Event) Values(name string) []string {
	var vs []string
	for _, h := range e.Headers {
		if strings.EqualFold(h.Name, name) {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

// Add appends a header. An empty value is not stored, as in FreeSWITCH.
func (e *Event) Add(name, value string) {
	if value == "" {
		return
	}
	e.Headers = append(e.Headers, Header{Name: name, Value: value})
}

// Set replaces the first header called name, or appends it.
func (e *Event) Set(name, value string) {
	for i := range e.Headers {
		if e.Headers[i].Name == name {
			e.Headers[i].Value = value
			return
		}
	}
	e.Add(name, value)
}

// Del removes every header called name.
func (e *Event) Del(name string) {
	hs := e.Headers[:0]
	for _, h := range e.Headers {
		if h.Name != name {
			hs = append(hs, h)
		}
	}
	e.Headers = hs
}

// Name returns Event-Name, e.g. "CHANNEL_ANSWER" or "CUSTOM".
func (e *Event) Name() string { return e.Get("Event-Name") }

// Subclass returns Event-Subclass of a CUSTOM event, e.g. "mod_bert::in_sync".
func (e *Event) Subclass() string { return e.Get("Event-Subclass") }

// UniqueID returns the channel uuid the event is about (Unique-ID).
func (e *Event) UniqueID() string { return e.Get("Unique-ID") }

// CallUUID returns the call's uuid: Channel-Call-UUID, else variable_call_uuid.
func (e *Event) CallUUID() string {
	if v := e.Get("Channel-Call-UUID"); v != "" {
		return v
	}
	return e.Get("variable_call_uuid")
}

// Direction returns Call-Direction ("inbound" or "outbound").
func (e *Event) Direction() string { return e.Get("Call-Direction") }

// ChannelState returns Channel-State, e.g. "CS_EXECUTE".
func (e *Event) ChannelState() string { return e.Get("Channel-State") }

// CallState returns Channel-Call-State, e.g. "ACTIVE".
func (e *Event) CallState() string { return e.Get("Channel-Call-State") }

// AnswerState returns Answer-State: ringing, early, answered or hangup.
func (e *Event) AnswerState() string { return e.Get("Answer-State") }

// HangupCause returns Hangup-Cause, e.g. "NORMAL_CLEARING".
func (e *Event) HangupCause() string { return e.Get("Hangup-Cause") }

// JobUUID returns Job-UUID (BACKGROUND_JOB events).
func (e *Event) JobUUID() string { return e.Get("Job-UUID") }

// Var returns the channel variable name (header variable_<name>).
func (e *Event) Var(name string) string { return e.Get("variable_" + name) }

// Sequence returns Event-Sequence, FreeSWITCH's creation-order counter.
func (e *Event) Sequence() uint64 {
	n, _ := strconv.ParseUint(e.Get("Event-Sequence"), 10, 64)
	return n
}

// Timestamp returns Event-Date-Timestamp, the server's clock at creation.
func (e *Event) Timestamp() time.Time { return e.Time("Event-Date-Timestamp") }

// Time reads a header holding microseconds since the epoch, as all of
// FreeSWITCH's *-Time and Timestamp headers do. It returns the zero Time when
// the header is missing, malformed or 0 (FreeSWITCH's "not yet").
func (e *Event) Time(name string) time.Time {
	us, err := strconv.ParseInt(e.Get(name), 10, 64)
	if err != nil || us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// Clone returns a deep copy of the event's header list.
func (e *Event) Clone() *Event {
	return &Event{Headers: append([]Header(nil), e.Headers...), Body: e.Body}
}

// SplitArray splits FreeSWITCH's "ARRAY::a|:b" form into its values; any
// other value is returned as a one-element slice.
func SplitArray(v string) []string {
	if !strings.HasPrefix(v, "ARRAY::") {
		return []string{v}
	}
	return strings.Split(v[len("ARRAY::"):], "|:")
}
