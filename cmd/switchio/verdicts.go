package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/switchio/switchio/measure"
)

// printVerdicts prints the media checks and the apps' verdict columns of
// a run's figures, one line each:
//
//	media: 200 checked, 3 failed (1.50%)
//	verdict dtmf_ok: 197 true, 3 false
//	verdict dtmf_missing: 200 calls, sum 3, max 1, 3 nonzero
func printVerdicts(w io.Writer, m *measure.MetricsSummary) {
	if m == nil || len(m.Verdicts) == 0 {
		return
	}
	if m.MediaChecked > 0 {
		fmt.Fprintf(w, "media: %d checked, %d failed (%.2f%%)\n", m.MediaChecked, m.MediaFailed,
			100*float64(m.MediaFailed)/float64(m.MediaChecked))
	}
	names := make([]string, 0, len(m.Verdicts))
	for k := range m.Verdicts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := m.Verdicts[k]
		switch {
		case v.True+v.False == v.Count:
			fmt.Fprintf(w, "verdict %s: %d true, %d false\n", k, v.True, v.False)
		case len(v.Values) > 0:
			fmt.Fprintf(w, "verdict %s: %s\n", k, v.ValueCounts())
		case v.Sum != 0 || v.Nonzero > 0 || v.Max != 0 || v.Min != 0:
			fmt.Fprintf(w, "verdict %s: %d calls, sum %s, min %s, mean %s, max %s, %d nonzero\n", k, v.Count,
				num(v.Sum), num(v.Min), num(v.Mean), num(v.Max), v.Nonzero)
		default:
			fmt.Fprintf(w, "verdict %s: %d calls\n", k, v.Count)
		}
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
