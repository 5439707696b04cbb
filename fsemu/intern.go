package fsemu

import "strconv"

// maxVarHeaders bounds the variable header names one server interns.
// Variable names are chosen by clients (set, uuid_setvar, originate
// {name=value} ...), so the cache must not grow with them: once it holds
// maxVarHeaders names it takes no new ones, and a name it does not hold is
// built per use and found by content instead (channel.varIndex).
const maxVarHeaders = 4096

// maxLineStrings bounds the Event-Calling-Line-Number values one server
// caches. The numbers are fsemu's own constants (a few hundred at most),
// the bound only keeps that an invariant rather than a hope.
const maxLineStrings = 1024

// interner holds one server's shared strings, so building an event does
// not allocate a "variable_<name>" header name per variable nor a line
// number per event. Its maps are created on first use; it is guarded by
// net.mu, which every caller holds (channel variables and events are only
// touched with the lock).
type interner struct {
	varHeaders map[string]string // name -> "variable_<name>", at most maxVarHeaders
	lines      map[int]string    // line -> decimal, at most maxLineStrings
}

// varHeader returns name's interned header name "variable_<name>" (the
// same string, same bytes, on every call) and true; or "" and false when
// name is not interned and the cache is full. A name once interned stays
// interned and a full cache stays full, so a name is either always or
// never interned: varIndex may compare interned names by pointer.
func (in *interner) varHeader(name string) (string, bool) {
	if h, ok := in.varHeaders[name]; ok {
		return h, true
	}
	if len(in.varHeaders) >= maxVarHeaders {
		return "", false
	}
	if in.varHeaders == nil {
		in.varHeaders = make(map[string]string)
	}
	h := varPrefix + name
	in.varHeaders[h[len(varPrefix):]] = h // keyed by h's own bytes, not the caller's buffer
	return h, true
}

// line returns n in decimal, cached while the cache has room.
func (in *interner) line(n int) string {
	if v, ok := in.lines[n]; ok {
		return v
	}
	v := strconv.Itoa(n)
	if len(in.lines) < maxLineStrings {
		if in.lines == nil {
			in.lines = make(map[int]string)
		}
		in.lines[n] = v
	}
	return v
}
