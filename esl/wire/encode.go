package wire

import "strconv"

// AppendPlain appends the event serialised as FreeSWITCH's
// switch_event_serialize does: "Name: urlencoded-value\n" per header, then
// "Content-Length: n\n\n" and the body when there is one, else "\n".
func (e *Event) AppendPlain(dst []byte) []byte {
	for _, h := range e.Headers {
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		dst = AppendURLEncode(dst, h.Value)
		dst = append(dst, '\n')
	}
	if e.Body != "" {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(e.Body)), 10)
		dst = append(dst, "\n\n"...)
		return append(dst, e.Body...)
	}
	return append(dst, '\n')
}

// AppendJSON appends the event as FreeSWITCH's unformatted cJSON object:
// keys in header order, string values (arrays for ARRAY:: values), and
// "Content-Length" and "_body" last when there is a body.
func (e *Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for i, h := range e.Headers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, h.Name)
		dst = append(dst, ':')
		if len(h.Value) > 7 && h.Value[:7] == "ARRAY::" {
			dst = append(dst, '[')
			for j, v := range SplitArray(h.Value) {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, v)
			}
			dst = append(dst, ']')
			continue
		}
		dst = appendJSONString(dst, h.Value)
	}
	if e.Body != "" {
		if len(e.Headers) > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"Content-Length":"`...)
		dst = strconv.AppendInt(dst, int64(len(e.Body)), 10)
		dst = append(dst, `","_body":`...)
		dst = appendJSONString(dst, e.Body)
	}
	return append(dst, '}')
}

// appendJSONString escapes as cJSON does: quote, backslash and the named
// control escapes, other bytes below 0x20 as \u00XX, everything else raw.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&15])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hexLower = "0123456789abcdef"

// AppendXML appends the event as switch_event_xmlize and FreeSWITCH's XML
// printer lay it out, values URL-encoded.
func (e *Event) AppendXML(dst []byte) []byte {
	dst = append(dst, "<event>\n  <headers>\n"...)
	for _, h := range e.Headers {
		dst = append(dst, "    <"...)
		dst = append(dst, h.Name...)
		dst = append(dst, '>')
		dst = AppendURLEncode(dst, h.Value)
		dst = append(dst, "</"...)
		dst = append(dst, h.Name...)
		dst = append(dst, ">\n"...)
	}
	dst = append(dst, "  </headers>\n"...)
	if e.Body != "" {
		dst = append(dst, "  <Content-Length>"...)
		dst = strconv.AppendInt(dst, int64(len(e.Body)), 10)
		dst = append(dst, "</Content-Length>\n  <body>"...)
		dst = appendXMLEscape(dst, e.Body)
		dst = append(dst, "  </body>\n"...)
	}
	return append(dst, "</event>\n"...)
}

func appendXMLEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// Append appends the event serialised in format f (the payload only).
func (e *Event) Append(dst []byte, f Format) []byte {
	switch f {
	case FormatJSON:
		return e.AppendJSON(dst)
	case FormatXML:
		return e.AppendXML(dst)
	}
	return e.AppendPlain(dst)
}

// AppendEventFrame appends a whole event frame as FreeSWITCH writes it:
// "Content-Length: n\nContent-Type: text/event-<f>\n\n" then the payload.
func AppendEventFrame(dst []byte, f Format, e *Event) []byte {
	start := len(dst)
	dst = e.Append(dst, f)
	n := len(dst) - start
	var hdr [64]byte
	h := append(hdr[:0], "Content-Length: "...)
	h = strconv.AppendInt(h, int64(n), 10)
	h = append(h, "\nContent-Type: "...)
	h = append(h, f.ContentType()...)
	h = append(h, "\n\n"...)
	dst = append(dst, h...)
	copy(dst[start+len(h):], dst[start:start+n])
	copy(dst[start:], h)
	return dst
}
