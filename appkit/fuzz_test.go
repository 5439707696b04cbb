package appkit

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fuzzApp has a parameter of every kind SetParams sets.
type fuzzApp struct {
	Name    string
	On      bool
	Count   int
	Big     int64
	Small   int32
	Ports   uint
	Seq     uint64
	Mask    uint32
	Freq    float64 `param:"freq"`
	Gain    float32
	Hold    time.Duration `param:"hold"`
	Digits  []string
	Hidden  string `param:"-"`
	private string
	Nested  struct{ X int }
}

// FuzzSetParams feeds arbitrary parameter text to SetParams. It must never
// panic; its errors are *ParamErrors with a one-line message; a successful
// call leaves durations non-negative and numbers finite, touches no hidden
// field, and sets the same values when repeated. The seed corpus is in
// testdata/fuzz/FuzzSetParams.
func FuzzSetParams(f *testing.F) {
	for _, s := range []string{
		"", "name=x", "freq=440,hold=2s", "hold=1.5", "digits=1|2|#", "on=true,count=-3,ports=7",
		"freq=NaN", "hold=-1s", "freq=440,freq=880", "nope=1", "=1", "name", " name = spaced ",
		"big=9223372036854775807,small=-2147483648,seq=18446744073709551615,mask=4294967295",
		"gain=3.4e38,hold=9223372036", "digits=", "hidden=x", "private=x", "nested=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var a fuzzApp
		err := SetParams(&a, text)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("SetParams(%q): %T %v, want a *ParamError", text, err, err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("SetParams(%q): error spans lines: %q", text, msg)
			}
			return
		}
		if a.Hold < 0 || math.IsNaN(a.Freq) || math.IsInf(a.Freq, 0) || math.IsNaN(float64(a.Gain)) || math.IsInf(float64(a.Gain), 0) {
			t.Fatalf("SetParams(%q): %+v", text, a)
		}
		if a.Hidden != "" || a.private != "" || a.Nested.X != 0 {
			t.Fatalf("SetParams(%q) set a hidden field: %+v", text, a)
		}
		var b fuzzApp
		if err := SetParams(&b, text); err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("SetParams(%q) again: %v, %+v then %+v", text, err, a, b)
		}
	})
}
