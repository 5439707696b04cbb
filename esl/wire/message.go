package wire

import (
	"strconv"
	"strings"
)

// Header is one "Name: value" line of a frame or an event. Name is verbatim as
// it appeared on the wire.
type Header struct {
	Name  string
	Value string
}

// Content types used by FreeSWITCH's event socket.
const (
	TypeAuthRequest      = "auth/request"
	TypeCommandReply     = "command/reply"
	TypeAPIResponse      = "api/response"
	TypeEventPlain       = "text/event-plain"
	TypeEventJSON        = "text/event-json"
	TypeEventXML         = "text/event-xml"
	TypeDisconnectNotice = "text/disconnect-notice"
	TypeRudeRejection    = "text/rude-rejection"
	TypeLogData          = "log/data"
)

// Message is one ESL frame: its header block in wire order and its body.
// For a command read by a server (see [Reader.ReadCommand]) Command holds the
// first line.
type Message struct {
	Command string
	Headers []Header
	Body    []byte

	inline [4]Header
}

// Clone returns a copy of m that owns its memory: what a caller keeps of a
// frame from Reader.ReadFrame, which is reused by the next read.
func (m *Message) Clone() *Message {
	out := &Message{Command: m.Command}
	if len(m.Headers) <= len(out.inline) {
		out.Headers = append(out.inline[:0], m.Headers...)
	} else {
		out.Headers = append([]Header(nil), m.Headers...)
	}
	if m.Body != nil {
		out.Body = append([]byte{}, m.Body...)
	}
	return out
}

// lookup returns the value of the first header named name, comparing names
// exactly first and then case-insensitively, as FreeSWITCH does.
func lookup(hs []Header, name string) (string, bool) {
	for i := range hs {
		if hs[i].Name == name {
			return hs[i].Value, true
		}
	}
	for i := range hs {
		if strings.EqualFold(hs[i].Name, name) {
			return hs[i].Value, true
		}
	}
	return "", false
}

// Get returns the value of the first header called name (case-insensitive),
// or "" when there is none.
func (m *Message) Get(name string) string {
	v, _ := lookup(m.Headers, name)
	return v
}

// Lookup is like Get but also reports whether the header was present.
func (m *Message) Lookup(name string) (string, bool) { return lookup(m.Headers, name) }

// ContentType returns the frame's Content-Type.
func (m *Message) ContentType() string { return m.Get("Content-Type") }

// ReplyText returns the Reply-Text of a command/reply frame.
func (m *Message) ReplyText() string { return m.Get("Reply-Text") }

// IsEvent reports whether the frame carries an event (plain, json or xml).
func (m *Message) IsEvent() bool { return IsEventType(m.ContentType()) }

// IsEventType reports whether a Content-Type is one of the event types
// (plain, json or xml).
func IsEventType(contentType string) bool {
	switch contentType {
	case TypeEventPlain, TypeEventJSON, TypeEventXML:
		return true
	}
	return false
}

// AppendMessage appends a frame with the given headers, in order, and body.
// When body is non-empty and the headers carry no Content-Length, one is
// appended last. Values are written as given (frames are not URL-encoded).
func AppendMessage(dst []byte, headers []Header, body []byte) []byte {
	hasLen := false
	for _, h := range headers {
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.Value...)
		dst = append(dst, '\n')
		if equalFoldASCII(h.Name, "Content-Length") { // as the Reader matches it
			hasLen = true
		}
	}
	if len(body) > 0 && !hasLen {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	return append(dst, body...)
}

// AppendCommand appends a client command: the command line, optional
// headers and an optional body (with its Content-Length).
func AppendCommand(dst []byte, command string, headers []Header, body []byte) []byte {
	dst = append(dst, command...)
	dst = append(dst, '\n')
	return AppendMessage(dst, headers, body)
}

// AppendReply appends a command/reply frame with the given Reply-Text and
// extra header lines after it (bgapi's Job-UUID, for example).
func AppendReply(dst []byte, text string, extra ...Header) []byte {
	dst = append(dst, "Content-Type: command/reply\nReply-Text: "...)
	dst = append(dst, text...)
	dst = append(dst, '\n')
	return AppendMessage(dst, extra, nil)
}

// AppendAPIResponse appends an api/response frame carrying body.
func AppendAPIResponse(dst []byte, body []byte) []byte {
	dst = append(dst, "Content-Type: api/response\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\n\n"...)
	return append(dst, body...)
}

// AppendTypedBody appends "Content-Type: typ\nContent-Length: n\n\n" and body,
// the layout of disconnect notices and rude rejections.
func AppendTypedBody(dst []byte, typ string, body []byte) []byte {
	dst = append(dst, "Content-Type: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\n\n"...)
	return append(dst, body...)
}
