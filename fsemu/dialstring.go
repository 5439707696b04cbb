package fsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// Parsing of originate's arguments and dial strings, as FreeSWITCH's
// switch_separate_string and switch_event_create_brackets do.

const originateUsage = "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"

// splitArgs splits an api argument string on spaces as
// switch_separate_string does: single quotes group and are removed,
// backslash escapes the next byte; a variable block ({..}, [..] or <..>)
// keeps its content together so dial-string variables survive. Inside a
// block only its own kind of bracket nests, and quotes and backslashes
// are kept for the block's parser, so a quoted or escaped bracket in a
// value does not end the block.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	var open, close byte // the outermost block's brackets
	inq := false
	has := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case depth > 0:
			cur.WriteByte(c)
			switch {
			case c == '\\' && i+1 < len(s):
				i++
				cur.WriteByte(s[i])
			case c == '\'':
				inq = !inq
			case inq:
			case c == open:
				depth++
			case c == close:
				depth--
				if depth == 0 {
					inq = false
				}
			}
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			has = true
		case c == '\'':
			inq = !inq
			has = true
		case (c == '{' || c == '[' || c == '<') && !inq:
			open, close = c, closer(c)
			depth++
			cur.WriteByte(c)
			has = true
		case c == ' ' && !inq:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteByte(c)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

// closer is the bracket closing open ('{', '[' or '<').
func closer(open byte) byte {
	switch open {
	case '{':
		return '}'
	case '[':
		return ']'
	}
	return '>'
}

// parseVarBlock parses "a=b,c='x y',d=e\,f" (the inside of {} or []).
// A block opening with "^^X" separates its variables with X instead of a
// comma, as FreeSWITCH's switch_event_create_brackets does.
func parseVarBlock(s string) []wire.Header {
	sep := byte(',')
	if len(s) >= 3 && s[0] == '^' && s[1] == '^' {
		sep, s = s[2], s[3:]
	}
	var out []wire.Header
	var cur strings.Builder
	inq := false
	flush := func() {
		item := cur.String()
		cur.Reset()
		if k, v, ok := strings.Cut(item, "="); ok {
			k = strings.TrimSpace(k)
			if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
				v = v[1 : len(v)-1]
			}
			if k != "" {
				out = append(out, wire.Header{Name: k, Value: v})
			}
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '\'':
			inq = !inq
			cur.WriteByte(c)
		case c == sep && !inq:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// parseDialString splits leading {..}, <..> and [..] variable blocks from
// the first leg of a dial string.
func parseDialString(ds string) (vars []wire.Header, leg string) {
	for {
		ds = strings.TrimLeft(ds, " ")
		if len(ds) == 0 {
			return
		}
		open := ds[0]
		var close byte
		switch open {
		case '{':
			close = '}'
		case '<':
			close = '>'
		case '[':
			close = ']'
		default:
			// first leg only: legs are separated by , | or :_:
			leg = ds
			if i := strings.Index(leg, ":_:"); i >= 0 {
				leg = leg[:i]
			}
			if i := strings.IndexAny(leg, ",|"); i >= 0 {
				leg = leg[:i]
			}
			return
		}
		end := matchClose(ds, open, close)
		if end < 0 {
			leg = ds
			return
		}
		vars = append(vars, parseVarBlock(ds[1:end])...)
		ds = ds[end+1:]
	}
}

func matchClose(s string, open, close byte) int {
	depth := 0
	inq := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case c == '\'':
			inq = !inq
		case c == open && !inq:
			depth++
		case c == close && !inq:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// originateReq is a parsed originate.
type originateReq struct {
	vars     []wire.Header
	leg      string
	app, arg string // &app(arg)
	exten    string
	dialplan string
	context  string
	cidName  string
	cidNum   string
	timeout  time.Duration
	// earlyOK: early media ends the originate; returnRing: so does a
	// 180 (earlyPolicy).
	earlyOK, returnRing bool
	// polled: no caller session reads media (api/bgapi originate), see
	// startOriginate.
	polled bool
}

func parseOriginate(args string) (*originateReq, bool) {
	a := splitArgs(args)
	if len(a) < 2 {
		return nil, false
	}
	r := &originateReq{dialplan: "XML", context: "default", timeout: 60 * time.Second}
	r.vars, r.leg = parseDialString(a[0])
	dest := a[1]
	if strings.HasPrefix(dest, "&") {
		dest = dest[1:]
		if i := strings.IndexByte(dest, '('); i >= 0 {
			r.app = dest[:i]
			r.arg = strings.TrimSuffix(dest[i+1:], ")")
		} else if i := strings.IndexByte(dest, ' '); i >= 0 {
			r.app, r.arg = dest[:i], dest[i+1:]
		} else {
			r.app = dest
		}
	} else {
		r.exten = dest
	}
	opt := func(i int, p *string) {
		if len(a) > i && a[i] != "undef" && a[i] != "" {
			*p = a[i]
		}
	}
	opt(2, &r.dialplan)
	opt(3, &r.context)
	opt(4, &r.cidName)
	opt(5, &r.cidNum)
	if len(a) > 6 {
		if n, err := strconv.Atoi(a[6]); err == nil && n > 0 {
			r.timeout = time.Duration(n) * time.Second
		}
	}
	for _, v := range r.vars {
		switch v.Name {
		case "originate_timeout", "leg_timeout":
			if n, err := strconv.Atoi(v.Value); err == nil && n > 0 {
				r.timeout = time.Duration(n) * time.Second
			}
		}
	}
	r.earlyOK, r.returnRing = earlyPolicy(r.vars)
	return r, true
}

func varOf(vs []wire.Header, name string) string {
	for _, v := range vs {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}
