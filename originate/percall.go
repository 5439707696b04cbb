package originate

import (
	"fmt"
	"strings"
)

// Field is a settable part of a Request, used by per-call values.
type Field struct {
	name string
	set  func(r *Request, v string)
}

// String returns the field's name.
func (f Field) String() string { return f.name }

// Fields that per-call values commonly set.
var (
	FieldDest           = Field{"dest", func(r *Request, v string) { r.Dest = v }}
	FieldEndpoint       = Field{"endpoint", func(r *Request, v string) { r.Endpoint = v }}
	FieldGateway        = Field{"gateway", func(r *Request, v string) { r.Gateway = v }}
	FieldProxy          = Field{"proxy", func(r *Request, v string) { r.Proxy = v }}
	FieldCallerIDName   = Field{"caller_id_name", func(r *Request, v string) { r.CallerIDName = v }}
	FieldCallerIDNumber = Field{"caller_id_number", func(r *Request, v string) { r.CallerIDNumber = v }}
	FieldCodec          = Field{"codec", func(r *Request, v string) { r.Codec = v }}
)

// FieldHeader is the SIP header name of the INVITE (any header).
func FieldHeader(name string) Field {
	return Field{"header " + name, func(r *Request, v string) {
		r.Headers = append(r.Headers[:len(r.Headers):len(r.Headers)], Var{name, v})
	}}
}

// FieldVar is the channel variable name.
func FieldVar(name string) Field {
	return Field{"var " + name, func(r *Request, v string) {
		r.Vars = append(r.Vars[:len(r.Vars):len(r.Vars)], Var{name, v})
	}}
}

// ParseField reads a field name as written on a command line: dest,
// endpoint, gateway, proxy, caller_id_name, caller_id_number, codec,
// header:<Name> or var:<name>.
func ParseField(s string) (Field, error) {
	switch s {
	case "dest":
		return FieldDest, nil
	case "endpoint":
		return FieldEndpoint, nil
	case "gateway":
		return FieldGateway, nil
	case "proxy":
		return FieldProxy, nil
	case "caller_id_name", "cid_name":
		return FieldCallerIDName, nil
	case "caller_id_number", "cid_num":
		return FieldCallerIDNumber, nil
	case "codec":
		return FieldCodec, nil
	}
	if h, ok := strings.CutPrefix(s, "header:"); ok && h != "" {
		return FieldHeader(h), nil
	}
	if v, ok := strings.CutPrefix(s, "var:"); ok && v != "" {
		return FieldVar(v), nil
	}
	return Field{}, fmt.Errorf("%w: unknown field %q", ErrInvalid, s)
}

// PerCall sets the fields of call n (counted from 0) of a series on a copy
// of the template request. It must not keep r.
type PerCall func(n uint64, r *Request)

// Cycle sets f to values[n % len(values)]: a list of destinations or caller
// ids for campaign dialing. An empty list sets nothing.
func Cycle(f Field, values ...string) PerCall {
	vs := append([]string(nil), values...)
	return func(n uint64, r *Request) {
		if len(vs) > 0 {
			f.set(r, vs[n%uint64(len(vs))])
		}
	}
}

// Sequence sets f to fmt.Sprintf(format, start+n), e.g. numbered
// destinations "1%04d".
func Sequence(f Field, format string, start uint64) PerCall {
	return func(n uint64, r *Request) { f.set(r, fmt.Sprintf(format, start+n)) }
}

// Set sets f to v on r.
func (f Field) Set(r *Request, v string) {
	if f.set != nil {
		f.set(r, v)
	}
}

// ForCall returns a copy of r with the per-call values of call n applied.
// The copy shares nothing mutable with r: slices are copied when a
// PerCall appends to them.
func (r *Request) ForCall(n uint64, per ...PerCall) Request {
	out := *r
	out.Headers = out.Headers[:len(out.Headers):len(out.Headers)]
	out.Vars = out.Vars[:len(out.Vars):len(out.Vars)]
	for _, p := range per {
		p(n, &out)
	}
	return out
}
