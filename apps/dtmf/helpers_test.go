package dtmf_test

import (
	"fmt"
	"sort"
	"strings"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

func newApp(spec string) (cluster.App, error) { return apps.Builtin().New(spec) }

func verdictText(v map[string]measure.Value) string {
	var parts []string
	for k, x := range v {
		switch {
		case x.Bool != nil:
			parts = append(parts, fmt.Sprintf("%s=%v", k, *x.Bool))
		case x.Int != nil:
			parts = append(parts, fmt.Sprintf("%s=%d", k, *x.Int))
		case x.Float != nil:
			parts = append(parts, fmt.Sprintf("%s=%g", k, *x.Float))
		case x.String != nil:
			parts = append(parts, fmt.Sprintf("%s=%q", k, *x.String))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
