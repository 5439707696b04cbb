package wire

import "bytes"

const hexUpper = "0123456789ABCDEF"

// urlUnsafe marks the bytes switch_url_encode escapes besides controls and
// bytes above 0x7E (src/include/switch_utils.h SWITCH_URL_UNSAFE).
var urlUnsafe = func() (t [256]bool) {
	for i := 0; i < 0x20; i++ {
		t[i] = true
	}
	for i := 0x7F; i < 256; i++ {
		t[i] = true
	}
	for _, c := range []byte("\r\n #%&+:;<=>?@[\\]^`{|}\"") {
		t[c] = true
	}
	return t
}()

func isUpperHex(c byte) bool { return ('0' <= c && c <= '9') || ('A' <= c && c <= 'F') }

// AppendURLEncode appends s encoded as FreeSWITCH's switch_url_encode does:
// unsafe bytes become %XX (uppercase), except that a '%' already followed by
// two uppercase hex digits is kept, so encoded text is not encoded twice.
func AppendURLEncode(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !urlUnsafe[c] {
			continue
		}
		if c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// URLEncode returns s encoded as by AppendURLEncode.
func URLEncode(s string) string { return string(AppendURLEncode(nil, s)) }

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendURLDecode appends the decoding of s as switch_url_decode does: %XX
// becomes the byte; a '%' not followed by two hex digits and '+' stay as
// they are.
func appendURLDecode(dst []byte, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '%')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		if i+2 < len(s) {
			if hi, ok := unhex(s[i+1]); ok {
				if lo, ok := unhex(s[i+2]); ok {
					dst = append(dst, hi<<4|lo)
					s = s[i+3:]
					continue
				}
			}
		}
		dst = append(dst, '%')
		s = s[i+1:]
	}
}

// URLDecode decodes a FreeSWITCH URL-encoded header value.
func URLDecode(s string) string {
	if indexByte(s, '%') < 0 {
		return s
	}
	return string(appendURLDecode(nil, []byte(s)))
}
