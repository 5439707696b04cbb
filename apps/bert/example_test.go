package bert_test

import (
	"fmt"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/bert"
)

// Register puts Bert in a registry with mod_bert's defaults; a spec builds
// an instance with some changed. Bert asks for PCMU, a jitter buffer and a
// soft timer on its calls' originates, unless the dial sets them.
func ExampleRegister() {
	r := appkit.NewRegistry()
	if err := bert.Register(r); err != nil {
		fmt.Println(err)
		return
	}
	info, _ := r.Get("Bert")
	for _, p := range info.Params {
		fmt.Printf("%s=%s (%s)\n", p.Name, p.Default, p.Type)
	}

	a, err := r.New("Bert/two_sided=true,timeout=5s")
	if err != nil {
		fmt.Println(err)
		return
	}
	b := a.(*bert.Bert)
	fmt.Println(b.TwoSided, b.Timeout, b.MaxErr)
	for _, v := range b.OriginateVars() {
		fmt.Printf("%s=%s\n", v.Name, v.Value)
	}
	// Output:
	// two_sided= (bool)
	// hangup_on_error= (bool)
	// timeout=10s (duration)
	// max_err=10 (int)
	// window= (duration)
	// true 5s 10
	// absolute_codec_string=PCMU
	// jitterbuffer_msec=100:200:40
	// bert_timer_name=soft
}
