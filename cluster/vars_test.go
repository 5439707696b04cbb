package cluster

import "testing"

func TestVarList(t *testing.T) {
	var l varList
	if got := l.get("a"); got != "" {
		t.Fatalf("get on an empty list: %q", got)
	}
	l.set("a", "1")
	l.set("b", "2")
	l.set("a", "3") // replaces
	for name, want := range map[string]string{"a": "3", "b": "2", "c": ""} {
		if got := l.get(name); got != want {
			t.Errorf("get(%q) = %q, want %q", name, got, want)
		}
	}
	if len(l) != 2 {
		t.Fatalf("%d pairs after setting a twice, want 2", len(l))
	}
}
