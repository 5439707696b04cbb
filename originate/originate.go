// Package originate builds FreeSWITCH originate commands from typed fields,
// escaping values so that commas, braces, quotes and spaces in them cannot
// break the dial string.
//
// Variables go in the leading {...} block. Values holding a space, a quote,
// a brace or a backslash are wrapped in single quotes with inner quotes and
// backslashes escaped by a backslash; when a value holds a comma, the block
// switches its separator with FreeSWITCH's "^^<sep>" prefix to a character no
// value uses.
package originate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/internal/fsquote"
)

// Var is one channel variable set at originate time.
type Var struct{ Name, Value string }

// Request describes one call to originate.
type Request struct {
	// Endpoint, if set, is used verbatim as the dial target (e.g.
	// "loopback/1000", or several targets joined by ',' or '|'); otherwise
	// it is built from Profile or Gateway and Dest, which may not hold ','
	// or '|'.
	Endpoint string
	// Profile is the sofia profile (default "external").
	Profile string
	// Gateway dials through a sofia gateway instead of a profile.
	Gateway string
	// Dest is the destination: user@host[:port] with a profile, or user with
	// a gateway.
	Dest string
	// Proxy routes the INVITE through a SIP proxy (fs_path).
	Proxy string
	// CallerIDName and CallerIDNumber set the caller id.
	CallerIDName, CallerIDNumber string
	// Codec sets the offered codec (absolute_codec_string), e.g. "PCMU".
	Codec string
	// Timeout bounds ringing (originate_timeout); 0 keeps the server default.
	Timeout time.Duration
	// UUID is the A leg's uuid (origination_uuid).
	UUID string
	// Headers are SIP headers added to the INVITE (any header, not only X-).
	Headers []Var
	// Vars are other channel variables, in order.
	Vars []Var
	// App and AppArg choose what the A leg runs once answered (default
	// "park"); Exten, if set, transfers it to the dialplan instead.
	App, AppArg string
	Exten       string
	// Dialplan and Context go with Exten.
	Dialplan, Context string
}

// ErrInvalid is wrapped by errors for requests that cannot be expressed.
var ErrInvalid = errors.New("originate: invalid request")

func checkToken(what, s string) error {
	if strings.ContainsAny(s, " \t\r\n{}'\"\\") {
		return fmt.Errorf("%w: %s %q contains a space, quote, brace, backslash or line break", ErrInvalid, what, s)
	}
	if unclosed(s) {
		return fmt.Errorf("%w: %s %q opens a '<' or '[' it does not close", ErrInvalid, what, s)
	}
	return nil
}

// unclosed reports whether s opens a '<' or '[' group it does not close:
// FreeSWITCH keeps such a group together as one argument, so the rest of
// the command would join it.
func unclosed(s string) bool {
	depth := 0
	var open, close byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case depth == 0 && (c == '<' || c == '['):
			open, close = c, '>'
			if c == '[' {
				close = ']'
			}
			depth = 1
		case depth > 0 && c == open:
			depth++
		case depth > 0 && c == close:
			depth--
		}
	}
	return depth > 0
}

// checkTarget is checkToken for parts of a built dial target, which must
// not hold FreeSWITCH's target separators: ',' (ring several at once) and
// '|' (fail over to the next), or one request would place several calls.
func checkTarget(what, s string) error {
	if err := checkToken(what, s); err != nil {
		return err
	}
	if strings.ContainsAny(s, ",|") {
		return fmt.Errorf("%w: %s %q contains ',' or '|', which separate dial targets", ErrInvalid, what, s)
	}
	return nil
}

// Target returns the dial target without variables.
func (r *Request) Target() (string, error) {
	if r.Endpoint != "" {
		if err := checkToken("endpoint", r.Endpoint); err != nil {
			return "", err
		}
		return r.Endpoint, nil
	}
	if r.Dest == "" {
		return "", fmt.Errorf("%w: no destination", ErrInvalid)
	}
	if err := checkTarget("destination", r.Dest); err != nil {
		return "", err
	}
	var t string
	if r.Gateway != "" {
		if err := checkTarget("gateway", r.Gateway); err != nil {
			return "", err
		}
		t = "sofia/gateway/" + r.Gateway + "/" + r.Dest
	} else {
		p := r.Profile
		if p == "" {
			p = "external"
		}
		if err := checkTarget("profile", p); err != nil {
			return "", err
		}
		t = "sofia/" + p + "/" + r.Dest
	}
	if r.Proxy != "" {
		if err := checkTarget("proxy", r.Proxy); err != nil {
			return "", err
		}
		proxy := r.Proxy
		if !strings.HasPrefix(proxy, "sip:") && !strings.HasPrefix(proxy, "sips:") {
			proxy = "sip:" + proxy
		}
		t += ";fs_path=" + proxy
	}
	return t, nil
}

// Variables returns every variable the request sets, in order.
func (r *Request) Variables() []Var {
	var vs []Var
	if r.UUID != "" {
		vs = append(vs, Var{"origination_uuid", r.UUID})
	}
	if r.CallerIDName != "" {
		vs = append(vs, Var{"origination_caller_id_name", r.CallerIDName})
	}
	if r.CallerIDNumber != "" {
		vs = append(vs, Var{"origination_caller_id_number", r.CallerIDNumber})
	}
	if r.Codec != "" {
		vs = append(vs, Var{"absolute_codec_string", r.Codec})
	}
	if r.Timeout > 0 {
		vs = append(vs, Var{"originate_timeout", strconv.Itoa(int((r.Timeout + time.Second - 1) / time.Second))})
	}
	for _, h := range r.Headers {
		vs = append(vs, Var{"sip_h_" + h.Name, h.Value})
	}
	return append(vs, r.Vars...)
}

// DialString returns "{vars}target".
func (r *Request) DialString() (string, error) {
	t, err := r.Target()
	if err != nil {
		return "", err
	}
	block, err := VarBlock(r.Variables())
	if err != nil {
		return "", err
	}
	return block + t, nil
}

// Command returns the full "originate <dialstring> <what>" api command.
func (r *Request) Command() (string, error) {
	ds, err := r.DialString()
	if err != nil {
		return "", err
	}
	if r.Exten != "" {
		if err := checkToken("extension", r.Exten); err != nil {
			return "", err
		}
		if r.Exten[0] == '&' {
			// "&name(arg)" runs an application instead
			return "", fmt.Errorf("%w: extension %q starts with '&'", ErrInvalid, r.Exten)
		}
		cmd := "originate " + ds + " " + r.Exten
		if r.Dialplan != "" || r.Context != "" {
			dp := r.Dialplan
			if dp == "" {
				dp = "XML"
			}
			cmd += " " + dp
			if r.Context != "" {
				cmd += " " + r.Context
			}
		}
		return cmd, nil
	}
	app := r.App
	if app == "" {
		app = "park"
	}
	if err := checkToken("app", app); err != nil {
		return "", err
	}
	if strings.ContainsAny(app, "()") {
		return "", fmt.Errorf("%w: app %q holds a parenthesis", ErrInvalid, app)
	}
	if strings.ContainsAny(r.AppArg, "\r\n() '\\") {
		return "", fmt.Errorf("%w: app argument %q holds a space, quote, parenthesis, backslash or line break; set it as a variable instead", ErrInvalid, r.AppArg)
	}
	return "originate " + ds + " &" + app + "(" + r.AppArg + ")", nil
}

// VarBlock renders variables as FreeSWITCH's {name=value,...} block.
func VarBlock(vs []Var) (string, error) {
	if len(vs) == 0 {
		return "", nil
	}
	sep := byte(',')
	for _, v := range vs {
		if !validName(v.Name) {
			return "", fmt.Errorf("%w: variable name %q (want letters, digits, '_', '-' and '.')", ErrInvalid, v.Name)
		}
		if strings.ContainsAny(v.Value, "\r\n") {
			return "", fmt.Errorf("%w: variable %s holds a line break", ErrInvalid, v.Name)
		}
		if strings.IndexByte(v.Value, ',') >= 0 {
			sep = 0
		}
	}
	var b strings.Builder
	b.WriteByte('{')
	if sep == 0 {
		for _, c := range []byte(";|!#:~") {
			used := false
			for _, v := range vs {
				if strings.IndexByte(v.Value, c) >= 0 {
					used = true
					break
				}
			}
			if !used {
				sep = c
				break
			}
		}
		if sep == 0 {
			return "", fmt.Errorf("%w: no free separator for variable values", ErrInvalid)
		}
		b.WriteString("^^")
		b.WriteByte(sep)
	}
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(v.Name)
		b.WriteByte('=')
		b.WriteString(fsquote.Quote(fsquote.VarValue, v.Value))
	}
	b.WriteByte('}')
	return b.String(), nil
}

// validName reports whether a variable name is non-empty and made of ASCII
// letters, digits, '_', '-' and '.': other characters are FreeSWITCH's
// syntax (separators, quotes, brackets, escapes) or blanks it trims.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
