package cluster

// varList holds the few values an app keeps on a session or a call (app
// state, kept channel variables): a slice of pairs found by name. A call
// in flight holds one or two, for which a map cost several times the
// memory (the performance budget is about 1 KB of heap a call).
type varList []varPair

type varPair struct{ name, value string }

// get returns the value of name, "" when unset.
func (l varList) get(name string) string {
	for _, p := range l {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// set stores value under name, replacing an earlier one.
func (l *varList) set(name, value string) {
	for i := range *l {
		if (*l)[i].name == name {
			(*l)[i].value = value
			return
		}
	}
	*l = append(*l, varPair{name, value})
}
