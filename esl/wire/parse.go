package wire

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Format is an event serialisation format of the event socket.
type Format int

// Event formats, as named in the "event <format> ..." command.
const (
	FormatPlain Format = iota
	FormatJSON
	FormatXML
)

// String returns the format's name on the wire: plain, json or xml.
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatXML:
		return "xml"
	}
	return "plain"
}

// ContentType returns the Content-Type of event frames in this format.
func (f Format) ContentType() string {
	switch f {
	case FormatJSON:
		return TypeEventJSON
	case FormatXML:
		return TypeEventXML
	}
	return TypeEventPlain
}

// ParseFormat maps "plain", "json" or "xml" to a Format.
func ParseFormat(s string) (Format, bool) {
	switch s {
	case "plain":
		return FormatPlain, true
	case "json":
		return FormatJSON, true
	case "xml":
		return FormatXML, true
	}
	return FormatPlain, false
}

// EventError reports an event body that could not be decoded.
type EventError struct {
	Format Format
	Offset int
	Msg    string
}

func (e *EventError) Error() string {
	return fmt.Sprintf("esl: bad %s event at byte %d: %s", e.Format, e.Offset, e.Msg)
}

// ParseEvent decodes the body of an event frame of the given Content-Type.
func ParseEvent(contentType string, body []byte) (*Event, error) {
	switch contentType {
	case TypeEventPlain:
		return ParseEventPlain(body)
	case TypeEventJSON:
		return ParseEventJSON(body)
	case TypeEventXML:
		return ParseEventXML(body)
	}
	return nil, fmt.Errorf("esl: %q is not an event content type", contentType)
}

// arenaString turns a freshly built byte arena into a string without a copy.
// The arena must never be written again.
func arenaString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// span locates a string inside an arena before the arena becomes a string.
type span struct{ name0, name1, val0, val1 int }

// ParseEventPlain decodes a text/event-plain body: "Name: value" lines with
// URL-encoded values, a blank line, and an optional body whose length is the
// last Content-Length header (which is removed from Headers: it frames the
// body, it is not part of the event).
//
// A header line is "Name: value": a header name (an HTTP token: letters,
// digits and !#$%&'*+-.^_`|~), a colon, and a space or the line's end. Any
// other line after the first header continues the previous header's
// value: a value holding a raw line break, which FreeSWITCH would have
// URL-encoded but old or odd producers do not (raw SDP in
// variable_switch_r_sdp, whose "b=AS:84" or "a=rtcp:4017 IN IP4 ..."
// lines hold a colon but no header name). The lines are joined with "\n",
// as switchio's Python parser joined them, instead of failing the whole
// event. A first line that is not a header is still an error.
func ParseEventPlain(b []byte) (*Event, error) {
	// Headers are gathered in a stack scratch and copied once into a slice
	// of the right size. The arena is sized from the input: decoding never
	// makes anything longer (a continuation's "\n" replaces the line end
	// it stands for), so it is not reallocated (if it were, strings
	// already taken from it would keep the old array, which is never
	// written again).
	var scratch [256]Header
	hs := scratch[:0]
	arena := make([]byte, 0, len(b))
	bodyLen := -1
	clIndex := -1
	valStart := 0 // arena offset of the last header's value
	// closeHeader notes a complete Content-Length header: the decoded
	// value, as for any other header (AppendPlain URL-encodes it, so
	// re-parsing its output frames the same body).
	closeHeader := func() {
		k := len(hs) - 1
		if k < 0 || len(hs[k].Name) != len("Content-Length") || !equalFoldASCII(hs[k].Name, "Content-Length") {
			return
		}
		if v, ok := parseLength(hs[k].Value); ok {
			bodyLen, clIndex = v, k
		} else {
			bodyLen, clIndex = -1, -1
		}
	}
	pos := 0
	for pos < len(b) {
		end := bytes.IndexByte(b[pos:], '\n')
		next := pos + end + 1
		if end < 0 {
			end = len(b) - pos
			next = len(b)
		}
		line := b[pos : pos+end]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			pos = next
			break
		}
		colon := headerNameLen(line)
		if colon == 0 {
			if len(hs) == 0 {
				return nil, &EventError{FormatPlain, pos, fmt.Sprintf("malformed header line %q", clip(string(line)))}
			}
			// A continuation line: the value goes on after a line break.
			arena = append(arena, '\n')
			arena = appendURLDecode(arena, line)
			hs[len(hs)-1].Value = arenaView(arena, valStart, len(arena))
			pos = next
			continue
		}
		closeHeader()
		val := line[colon+1:]
		for len(val) > 0 && val[0] == ' ' {
			val = val[1:]
		}
		n0 := len(arena)
		arena = append(arena, line[:colon]...)
		valStart = len(arena)
		arena = appendURLDecode(arena, val)
		hs = append(hs, Header{Name: arenaView(arena, n0, valStart), Value: arenaView(arena, valStart, len(arena))})
		pos = next
	}
	closeHeader()
	e := &Event{}
	if bodyLen > 0 {
		if bodyLen > len(b)-pos {
			return nil, &EventError{FormatPlain, pos, fmt.Sprintf("body of %d bytes truncated at %d", bodyLen, len(b)-pos)}
		}
		b0 := len(arena)
		arena = append(arena, b[pos:pos+bodyLen]...)
		e.Body = arenaView(arena, b0, len(arena))
		hs = append(hs[:clIndex], hs[clIndex+1:]...)
	}
	e.Headers = make([]Header, len(hs))
	copy(e.Headers, hs)
	return e, nil
}

// tchar marks the bytes of an HTTP token (RFC 9110), a header name.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// headerNameLen returns the length of line's header name when line is a
// plain event's header line ("Name: value", or "Name:" with nothing
// after), else 0.
func headerNameLen(line []byte) int {
	for i, c := range line {
		if tchar[c] {
			continue
		}
		if c == ':' && i > 0 && (i+1 == len(line) || line[i+1] == ' ') {
			return i
		}
		return 0
	}
	return 0
}

// validPlainName reports whether name can head a plain event's header
// line: a non-empty HTTP token.
func validPlainName(name string) bool {
	for i := 0; i < len(name); i++ {
		if !tchar[name[i]] {
			return false
		}
	}
	return name != ""
}

// arenaView returns arena[i:j] as a string without a copy. The bytes must
// never be written again: arenas are only appended to.
func arenaView(arena []byte, i, j int) string {
	if j <= i {
		return ""
	}
	return unsafe.String(&arena[i], j-i)
}

// ParseEventJSON decodes a text/event-json body: one JSON object whose values
// are strings, or arrays of strings for multi-valued variables (kept in the
// "ARRAY::a|:b" form). The "_body" key becomes Event.Body and the
// "Content-Length" key that frames it is dropped.
func ParseEventJSON(b []byte) (*Event, error) {
	p := jsonParser{b: b, arena: make([]byte, 0, len(b))}
	spans := make([]span, 0, 64)
	body0, body1 := -1, -1
	p.ws()
	if !p.eat('{') {
		return nil, p.err("expected '{'")
	}
	p.ws()
	if p.eat('}') {
		return &Event{}, nil
	}
	for {
		p.ws()
		var s span
		s.name0 = len(p.arena)
		if !p.str() {
			return nil, p.err("expected a string key")
		}
		s.name1 = len(p.arena)
		p.ws()
		if !p.eat(':') {
			return nil, p.err("expected ':'")
		}
		p.ws()
		s.val0 = len(p.arena)
		if !p.value(0) {
			return nil, p.err("expected a value")
		}
		s.val1 = len(p.arena)
		if string(p.arena[s.name0:s.name1]) == "_body" {
			body0, body1 = s.val0, s.val1
			if k := len(spans) - 1; k >= 0 && string(p.arena[spans[k].name0:spans[k].name1]) == "Content-Length" {
				spans = spans[:k]
			}
		} else {
			spans = append(spans, s)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			break
		}
		return nil, p.err("expected ',' or '}'")
	}
	str := arenaString(p.arena)
	e := &Event{Headers: make([]Header, len(spans))}
	for i, s := range spans {
		e.Headers[i] = Header{Name: str[s.name0:s.name1], Value: str[s.val0:s.val1]}
	}
	if body0 >= 0 {
		e.Body = str[body0:body1]
	}
	return e, nil
}

type jsonParser struct {
	b     []byte
	i     int
	arena []byte
}

func (p *jsonParser) err(msg string) error { return &EventError{FormatJSON, p.i, msg} }

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str decodes a JSON string into the arena. The run of bytes up to the next
// quote or backslash is copied at once (scanned with locals, which the
// compiler keeps in registers); escapes are left to escape.
func (p *jsonParser) str() bool {
	if !p.eat('"') {
		return false
	}
	b := p.b
	for {
		start, i := p.i, p.i
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		p.arena = append(p.arena, b[start:i]...)
		if i >= len(b) {
			p.i = i
			return false
		}
		p.i = i + 1
		if b[i] == '"' {
			return true
		}
		if !p.escape() { // after the backslash
			return false
		}
	}
}

// escape decodes the escape sequence after a backslash into the arena; it
// reports whether the sequence is valid.
func (p *jsonParser) escape() bool {
	if p.i >= len(p.b) {
		return false
	}
	c := p.b[p.i]
	p.i++
	switch c {
	case '"', '\\', '/':
		p.arena = append(p.arena, c)
	case 'b':
		p.arena = append(p.arena, '\b')
	case 'f':
		p.arena = append(p.arena, '\f')
	case 'n':
		p.arena = append(p.arena, '\n')
	case 'r':
		p.arena = append(p.arena, '\r')
	case 't':
		p.arena = append(p.arena, '\t')
	case 'u':
		return p.unicodeEscape()
	default:
		return false
	}
	return true
}

// unicodeEscape decodes the four hex digits after "\u" into the arena as
// UTF-8, joining a surrogate pair written as two escapes. It reports
// whether the digits are valid.
func (p *jsonParser) unicodeEscape() bool {
	if p.i+4 > len(p.b) {
		return false
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return false
	}
	p.i += 4
	r := rune(v)
	if r >= 0xD800 && r < 0xDC00 && p.i+6 <= len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
		if lo, err := strconv.ParseUint(string(p.b[p.i+2:p.i+6]), 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
			r = 0x10000 + (r-0xD800)<<10 + (rune(lo) - 0xDC00)
			p.i += 6
		}
	}
	p.arena = utf8.AppendRune(p.arena, r) // a lone surrogate becomes U+FFFD
	return true
}

// maxJSONDepth bounds array nesting. FreeSWITCH only writes flat arrays; the
// bound keeps a hostile "[[[[..." from recursing until the stack overflows,
// which would kill the process rather than return an error.
const maxJSONDepth = 16

// isJSONLiteral reports the bytes a bare literal (number, true, false, null)
// may hold.
func isJSONLiteral(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '-' || c == '+' || c == '.'
}

// value decodes a string, an array of strings (into the ARRAY:: form), or a
// bare literal (number, true, false, null) kept as its text. Objects are not
// event values and are refused.
func (p *jsonParser) value(depth int) bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		return p.str()
	case c == '[':
		if depth >= maxJSONDepth {
			return false
		}
		p.i++
		p.arena = append(p.arena, "ARRAY::"...)
		p.ws()
		if p.eat(']') {
			return true
		}
		for first := true; ; first = false {
			p.ws()
			if !first {
				p.arena = append(p.arena, '|', ':')
			}
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			return p.eat(']')
		}
	default:
		start := p.i
		for p.i < len(p.b) && isJSONLiteral(p.b[p.i]) {
			p.i++
		}
		if p.i == start {
			return false
		}
		lit := p.b[start:p.i]
		if string(lit) != "null" {
			p.arena = append(p.arena, lit...)
		}
		return true
	}
}

// ParseEventXML decodes a text/event-xml body:
// <event><headers><Name>value</Name>...</headers>[<Content-Length>n</Content-Length><body>...</body>]</event>
// with URL-encoded values.
func ParseEventXML(b []byte) (*Event, error) {
	x := xmlParser{b: b}
	arena := make([]byte, 0, len(b))
	spans := make([]span, 0, 64)
	if !x.open("event") || !x.open("headers") {
		return nil, x.err("expected <event><headers>")
	}
	for {
		x.ws()
		if x.hasPrefix("</headers>") {
			x.i += len("</headers>")
			break
		}
		name, ok := x.tag()
		if !ok {
			return nil, x.err("expected a header element")
		}
		text, ok := x.textUntil(name)
		if !ok {
			return nil, x.err("unterminated element <" + string(name) + ">")
		}
		var s span
		s.name0 = len(arena)
		arena = append(arena, name...)
		s.name1 = len(arena)
		s.val0 = s.name1
		arena = appendURLDecode(arena, xmlUnescape(text))
		s.val1 = len(arena)
		spans = append(spans, s)
	}
	bodyLen := -1
	body0, body1 := 0, 0
	for {
		x.ws()
		if x.hasPrefix("</event>") || x.i >= len(x.b) {
			break
		}
		name, ok := x.tag()
		if !ok {
			return nil, x.err("expected an element")
		}
		text, ok := x.textUntil(name)
		if !ok {
			return nil, x.err("unterminated element <" + string(name) + ">")
		}
		switch string(name) {
		case "Content-Length":
			if n, ok := parseLength(string(text)); ok {
				bodyLen = n
			}
		case "body":
			t := xmlUnescape(text)
			if bodyLen >= 0 && bodyLen <= len(t) {
				t = t[:bodyLen]
			}
			body0 = len(arena)
			arena = append(arena, t...)
			body1 = len(arena)
		}
	}
	str := arenaString(arena)
	e := &Event{Headers: make([]Header, len(spans))}
	for i, s := range spans {
		e.Headers[i] = Header{Name: str[s.name0:s.name1], Value: str[s.val0:s.val1]}
	}
	e.Body = str[body0:body1]
	return e, nil
}

type xmlParser struct {
	b []byte
	i int
}

func (x *xmlParser) err(msg string) error { return &EventError{FormatXML, x.i, msg} }

func (x *xmlParser) ws() {
	for x.i < len(x.b) {
		switch x.b[x.i] {
		case ' ', '\t', '\n', '\r':
			x.i++
		default:
			return
		}
	}
}

func (x *xmlParser) hasPrefix(s string) bool {
	return len(x.b)-x.i >= len(s) && string(x.b[x.i:x.i+len(s)]) == s
}

func (x *xmlParser) open(name string) bool {
	x.ws()
	if x.hasPrefix("<" + name + ">") {
		x.i += len(name) + 2
		return true
	}
	return false
}

// tag reads "<name>" and returns name.
func (x *xmlParser) tag() ([]byte, bool) {
	if x.i >= len(x.b) || x.b[x.i] != '<' {
		return nil, false
	}
	j := x.i + 1
	for j < len(x.b) && x.b[j] != '>' && x.b[j] != '<' && x.b[j] != '/' {
		j++
	}
	if j >= len(x.b) || x.b[j] != '>' || j == x.i+1 {
		return nil, false
	}
	name := x.b[x.i+1 : j]
	x.i = j + 1
	return name, true
}

// textUntil returns the text up to "</name>" and moves past it.
func (x *xmlParser) textUntil(name []byte) ([]byte, bool) {
	closing := make([]byte, 0, len(name)+3)
	closing = append(append(append(closing, "</"...), name...), '>')
	k := bytes.Index(x.b[x.i:], closing)
	if k < 0 {
		return nil, false
	}
	text := x.b[x.i : x.i+k]
	x.i += k + len(closing)
	return text, true
}

// xmlUnescape decodes the five predefined entities and numeric references.
func xmlUnescape(b []byte) []byte {
	amp := -1
	for i, c := range b {
		if c == '&' {
			amp = i
			break
		}
	}
	if amp < 0 {
		return b
	}
	out := append([]byte(nil), b[:amp]...)
	for i := amp; i < len(b); i++ {
		if b[i] != '&' {
			out = append(out, b[i])
			continue
		}
		semi := -1
		for j := i + 1; j < len(b) && j < i+10; j++ {
			if b[j] == ';' {
				semi = j
				break
			}
		}
		if semi < 0 {
			out = append(out, '&')
			continue
		}
		ent := string(b[i+1 : semi])
		switch {
		case ent == "amp":
			out = append(out, '&')
		case ent == "lt":
			out = append(out, '<')
		case ent == "gt":
			out = append(out, '>')
		case ent == "quot":
			out = append(out, '"')
		case ent == "apos":
			out = append(out, '\'')
		case len(ent) > 1 && ent[0] == '#':
			var v uint64
			var err error
			if ent[1] == 'x' {
				v, err = strconv.ParseUint(ent[2:], 16, 32)
			} else {
				v, err = strconv.ParseUint(ent[1:], 10, 32)
			}
			if err != nil {
				out = append(out, b[i:semi+1]...)
			} else {
				out = utf8.AppendRune(out, rune(v)) // out of range: U+FFFD
			}
		default:
			out = append(out, b[i:semi+1]...)
		}
		i = semi
	}
	return out
}
