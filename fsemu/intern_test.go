package fsemu

import (
	"strconv"
	"testing"

	"github.com/switchio/switchio/esl/wire"
)

// TestInternerBound fills a server's variable header cache past its bound:
// the cache stops at maxVarHeaders, and variables whose names it no longer
// takes are set, read, listed, replaced and unset like the others.
func TestInternerBound(t *testing.T) {
	s := RunT(t)
	s.lock()
	defer s.unlock()
	ch := s.newChannel("intern-test")
	ch.setVar("early", "1") // interned
	for i := 0; len(s.intern.varHeaders) < maxVarHeaders; i++ {
		s.intern.varHeader("filler_" + strconv.Itoa(i))
	}
	if _, ok := s.intern.varHeader("late"); ok {
		t.Fatal("a full cache took a new name")
	}
	ch.setVar("late", "2")
	ch.setVar("late", "3")
	if v, ok := ch.getVar("late"); !ok || v != "3" {
		t.Fatalf("late = %q, %v", v, ok)
	}
	if v, ok := ch.getVar("early"); !ok || v != "1" {
		t.Fatalf("early = %q, %v", v, ok)
	}
	if l := ch.varList(); len(l) != 2 || l[1] != (wire.Header{Name: "late", Value: "3"}) {
		t.Fatalf("varList = %v", l)
	}
	ch.delVar("late")
	if _, ok := ch.getVar("late"); ok {
		t.Fatal("late still set")
	}
	if n := len(s.intern.varHeaders); n != maxVarHeaders {
		t.Fatalf("%d names interned, want %d", n, maxVarHeaders)
	}
}
