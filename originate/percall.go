package originate

import (
	"fmt"
	"strings"
)

// Field is a settable part of a Request, used by per-call values. Its
// value is its name as written on a command line (ParseField): one of the
// Field constants, or "header:<Name>" (FieldHeader) or "var:<name>"
// (FieldVar).
type Field string

// Fields that per-call values commonly set.
const (
	FieldDest           Field = "dest"
	FieldEndpoint       Field = "endpoint"
	FieldGateway        Field = "gateway"
	FieldProxy          Field = "proxy"
	FieldCallerIDName   Field = "caller_id_name"
	FieldCallerIDNumber Field = "caller_id_number"
	FieldCodec          Field = "codec"
)

const (
	headerPrefix = "header:"
	varPrefix    = "var:"
)

// FieldHeader is the SIP header name of the INVITE (any header).
func FieldHeader(name string) Field { return Field(headerPrefix + name) }

// FieldVar is the channel variable name.
func FieldVar(name string) Field { return Field(varPrefix + name) }

// String returns the field's name.
func (f Field) String() string { return string(f) }

// ParseField reads a field name as written on a command line: dest,
// endpoint, gateway, proxy, caller_id_name (or cid_name),
// caller_id_number (or cid_num), codec, header:<Name> or var:<name>.
func ParseField(s string) (Field, error) {
	switch f := Field(s); f {
	case FieldDest, FieldEndpoint, FieldGateway, FieldProxy, FieldCallerIDName, FieldCallerIDNumber, FieldCodec:
		return f, nil
	case "cid_name":
		return FieldCallerIDName, nil
	case "cid_num":
		return FieldCallerIDNumber, nil
	}
	if h, ok := strings.CutPrefix(s, headerPrefix); ok && h != "" {
		return FieldHeader(h), nil
	}
	if v, ok := strings.CutPrefix(s, varPrefix); ok && v != "" {
		return FieldVar(v), nil
	}
	return "", fmt.Errorf("%w: unknown field %q", ErrInvalid, s)
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
			f.Set(r, vs[n%uint64(len(vs))])
		}
	}
}

// Sequence sets f to fmt.Sprintf(format, start+n), e.g. numbered
// destinations "1%04d".
func Sequence(f Field, format string, start uint64) PerCall {
	return func(n uint64, r *Request) { f.Set(r, fmt.Sprintf(format, start+n)) }
}

// Set sets f to v on r; a field that is none of the above sets nothing.
func (f Field) Set(r *Request, v string) {
	switch f {
	case FieldDest:
		r.Dest = v
	case FieldEndpoint:
		r.Endpoint = v
	case FieldGateway:
		r.Gateway = v
	case FieldProxy:
		r.Proxy = v
	case FieldCallerIDName:
		r.CallerIDName = v
	case FieldCallerIDNumber:
		r.CallerIDNumber = v
	case FieldCodec:
		r.Codec = v
	default:
		if name, ok := strings.CutPrefix(string(f), headerPrefix); ok && name != "" {
			r.Headers = append(r.Headers[:len(r.Headers):len(r.Headers)], Var{name, v})
		} else if name, ok := strings.CutPrefix(string(f), varPrefix); ok && name != "" {
			r.Vars = append(r.Vars[:len(r.Vars):len(r.Vars)], Var{name, v})
		}
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
