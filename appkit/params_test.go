package appkit

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
)

type paramApp struct {
	Freq    int           `param:"freq"`
	Hold    time.Duration `param:"hold"`
	Ratio   float64
	Enabled bool
	Name    string
	Digits  []string `param:"digits"`
	Hidden  string   `param:"-"`
	private int
}

func (p *paramApp) Setup(context.Context, *cluster.Registrar) error { return nil }
func (p *paramApp) Description() string                             { return "test app" }

func TestSetParams(t *testing.T) {
	a := &paramApp{Freq: 1}
	if err := SetParams(a, "freq=1004, hold=2s,ratio=0.5,enabled=true,name=x y,digits=1|2|3"); err != nil {
		t.Fatal(err)
	}
	if a.Freq != 1004 || a.Hold != 2*time.Second || a.Ratio != 0.5 || !a.Enabled || a.Name != "x y" || strings.Join(a.Digits, "") != "123" {
		t.Fatalf("got %+v", a)
	}
	if err := SetParams(a, "hold=1.5"); err != nil || a.Hold != 1500*time.Millisecond {
		t.Fatalf("seconds as number: %v %v", err, a.Hold)
	}
}

func TestSetParamsErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"nope=1", `parameter "nope": unknown parameter (known: digits, enabled, freq, hold, name, ratio)`},
		{"freq=abc", `parameter "freq"="abc": not an integer`},
		{"hold=soon", `parameter "hold"="soon": not a duration`},
		{"enabled=maybe", `not a boolean`},
		{"freq", `expected key=value`},
		{"hidden=x", `unknown parameter`},
		{"freq=440,freq=880", `parameter "freq": given twice`},
		{"ratio=NaN", `not a finite number`},
		{"ratio=+Inf", `not a finite number`},
		{"hold=-2s", `negative duration`},
		{"hold=-1", `negative duration`},
		{"hold=NaN", `not a duration`},
		{"hold=1e300", `not a duration`},
	}
	for _, tt := range tests {
		err := SetParams(&paramApp{}, tt.text)
		var pe *ParamError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.text, err, tt.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(&paramApp{Freq: 7}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(&paramApp{}); err == nil {
		t.Fatal("duplicate registration accepted")
	}
	if err := r.Register(paramAppValue{}); err == nil {
		t.Fatal("non-pointer registration accepted")
	}
	info, ok := r.Get("paramApp")
	if !ok || info.Description != "test app" || !strings.HasSuffix(info.Package, "/appkit") {
		t.Fatalf("info %+v", info)
	}
	a, err := r.New("paramApp/name=z")
	if err != nil {
		t.Fatal(err)
	}
	pa := a.(*paramApp)
	if pa.Freq != 7 || pa.Name != "z" {
		t.Fatalf("defaults not kept: %+v", pa)
	}
	b, _ := r.New("paramApp")
	if b.(*paramApp) == pa || b.(*paramApp).Name != "" {
		t.Fatal("instances share state")
	}
	if _, err := r.New("Missing/x=1"); err == nil || !strings.Contains(err.Error(), "registered: paramApp") {
		t.Fatalf("unknown app: %v", err)
	}
	if _, err := r.New("paramApp/freq=x"); err == nil {
		t.Fatal("bad param accepted")
	}
	groups := r.ByPackage()
	if len(groups) != 1 || len(groups[0].Apps) != 1 {
		t.Fatalf("groups %+v", groups)
	}
}

type paramAppValue struct{}

func (paramAppValue) Setup(context.Context, *cluster.Registrar) error { return nil }

// Shared parameters come from embedded structs, in field order, and are
// set through them.
func TestParamsOfEmbedded(t *testing.T) {
	type shared struct {
		Dir  string `param:"dir" help:"where"`
		Keep bool   `param:"keep"`
	}
	type withShared struct {
		shared
		Freq int `param:"freq"`
	}
	ps, err := paramsOf(reflect.TypeOf(withShared{}))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, ","); got != "dir,keep,freq" {
		t.Fatalf("params %s", got)
	}
	var a withShared
	if err := SetParams(&a, "dir=/tmp/x,keep=true,freq=3"); err != nil {
		t.Fatal(err)
	}
	if a.Dir != "/tmp/x" || !a.Keep || a.Freq != 3 {
		t.Fatalf("%+v", a)
	}
	type clash struct {
		shared
		Dir string `param:"dir"`
	}
	if _, err := paramsOf(reflect.TypeOf(clash{})); err == nil || !strings.Contains(err.Error(), "declared twice") {
		t.Errorf("a parameter declared twice through embedding: %v", err)
	}
}
