package apps_test

import (
	"fmt"
	"strings"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/apps/tone"
)

// Builtin returns a registry of every built-in app, grouped by the package
// that provides it: the list switchio list-apps shows, and the names
// switchio dial --app and serve accept. An app is built from a spec, its
// name and the parameters to change from their defaults.
func ExampleBuiltin() {
	r := apps.Builtin()
	for _, g := range r.ByPackage() {
		var names []string
		for _, info := range g.Apps {
			names = append(names, info.Name)
		}
		fmt.Printf("%s: %s\n", strings.TrimPrefix(g.Package, "github.com/switchio/switchio/"), strings.Join(names, ", "))
	}

	a, err := r.New("TonePlay/freq=440")
	if err != nil {
		fmt.Println(err)
		return
	}
	t := a.(*tone.TonePlay)
	fmt.Println("TonePlay plays", t.ToneStream())
	// Output:
	// apps/bert: Bert
	// apps/blockers: CalleeBlockOnInvite, CalleeRingback
	// apps/cdr: CDR
	// apps/dtmf: DtmfChecker
	// apps/players: MutedPlayRec, PlayRec
	// apps/routers: Bridger, Proxier
	// apps/tone: TonePlay
	// TonePlay plays tone_stream://%(251,0,440)
}
