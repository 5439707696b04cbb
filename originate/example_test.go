package originate_test

import (
	"fmt"
	"time"

	"github.com/switchio/switchio/originate"
)

// A Request is turned into FreeSWITCH's originate command, its values
// escaped: the caller id name holds a comma and a space, so the variable
// block switches separator and quotes it. ForCall applies per-call values,
// here numbered destinations for a series of calls.
func ExampleRequest_Command() {
	req := originate.Request{
		Dest:         "1000@10.0.0.2:5080",
		CallerIDName: "Load, Test",
		Codec:        "PCMU",
		Timeout:      30 * time.Second,
		Headers:      []originate.Var{{Name: "X-Test", Value: "1"}},
	}
	cmd, err := req.Command()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cmd)

	tmpl := originate.Request{Profile: "internal", Dest: "placeholder"}
	next := originate.Sequence(originate.FieldDest, "1%03d@10.0.0.2", 7)
	for n := range uint64(3) {
		call := tmpl.ForCall(n, next)
		target, _ := call.Target()
		fmt.Println(target)
	}

	_, err = (&originate.Request{Dest: "a,b@host"}).Command()
	fmt.Println(err)
	// Output:
	// originate {^^;origination_caller_id_name='Load, Test';absolute_codec_string=PCMU;originate_timeout=30;sip_h_X-Test=1}sofia/external/1000@10.0.0.2:5080 &park()
	// sofia/internal/1007@10.0.0.2
	// sofia/internal/1008@10.0.0.2
	// sofia/internal/1009@10.0.0.2
	// originate: invalid request: destination "a,b@host" contains ',' or '|', which separate dial targets
}
