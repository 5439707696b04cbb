package report

import (
	"math"
	"strconv"
)

// nums is a series' values; NaN is a gap (null in JSON).
type nums []float64

// MarshalJSON writes whole numbers exactly (counts, unix times), other
// values with 6 significant digits, and NaN as null: the page needs no
// more, and it keeps the report small.
func (v nums) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+8*len(v))
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			b = append(b, "null"...)
			continue
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			b = strconv.AppendInt(b, int64(f), 10)
			continue
		}
		b = strconv.AppendFloat(b, f, 'g', 6, 64)
	}
	return append(b, ']'), nil
}

// count is the number of values that are not gaps.
func (v nums) count() int {
	n := 0
	for _, f := range v {
		if !math.IsNaN(f) {
			n++
		}
	}
	return n
}

// Axis kinds of a chart's x values.
const (
	xTime  = "time"  // unix seconds, UTC
	xIndex = "index" // the call index (measure.Record.Seq)
	xMs    = "ms"    // milliseconds (histogram bins)
)

// series is one line (or the bars) of a chart.
type series struct {
	Label  string `json:"label"`
	Color  string `json:"color"`
	Values nums   `json:"values"`
	// Dash draws a dashed line (targets); Faint a thin light one (the
	// min and max around a mean).
	Dash  bool `json:"dash,omitempty"`
	Faint bool `json:"faint,omitempty"`
}

// chart is one chart, drawn by the page and as a PNG from the same
// values.
type chart struct {
	ID     string   `json:"id"`
	Group  string   `json:"-"`
	Title  string   `json:"title"`
	Note   string   `json:"-"`
	X      string   `json:"x"`
	XLabel string   `json:"xlabel"`
	YLabel string   `json:"ylabel"`
	Bars   bool     `json:"bars,omitempty"`
	Xs     nums     `json:"xs"`
	Series []series `json:"series"`
	// Bands fill between two series (indices into Series): min and max.
	Bands [][2]int `json:"bands,omitempty"`
}

// points is the number of values the chart draws.
func (c *chart) points() int {
	n := 0
	for _, s := range c.Series {
		n += s.Values.count()
	}
	return n
}

// palette is the colours of a chart's series, in order (Tableau 10: told
// apart by most readers, also in print).
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

func colour(i int) string { return palette[i%len(palette)] }

// minMax reduces series that share the x values xs to at most maxPoints
// points: the x range is cut into maxPoints/2 buckets, each giving two
// points (its first and last x) that carry, for each series, the
// bucket's minimum and maximum in the order they occurred, so peaks and
// dips survive. Series no longer than maxPoints are returned as they are.
func minMax(xs []float64, ys [][]float64, maxPoints int) ([]float64, [][]float64) {
	n := len(xs)
	if n <= maxPoints {
		return xs, ys
	}
	nb := maxPoints / 2
	outX := make([]float64, 0, 2*nb)
	outY := make([][]float64, len(ys))
	for i := range outY {
		outY[i] = make([]float64, 0, 2*nb)
	}
	for b := range nb {
		lo, hi := b*n/nb, (b+1)*n/nb
		if hi <= lo {
			continue
		}
		outX = append(outX, xs[lo], xs[hi-1])
		for i, y := range ys {
			imin, imax := -1, -1
			for j := lo; j < hi; j++ {
				if math.IsNaN(y[j]) {
					continue
				}
				if imin < 0 || y[j] < y[imin] {
					imin = j
				}
				if imax < 0 || y[j] > y[imax] {
					imax = j
				}
			}
			switch {
			case imin < 0:
				outY[i] = append(outY[i], math.NaN(), math.NaN())
			case imin <= imax:
				outY[i] = append(outY[i], y[imin], y[imax])
			default:
				outY[i] = append(outY[i], y[imax], y[imin])
			}
		}
	}
	return outX, outY
}

// stat accumulates the values of one bucket.
type stat struct {
	min, max, sum float64
	n             int64
}

func (s *stat) add(v float64) {
	if s.n == 0 || v < s.min {
		s.min = v
	}
	if s.n == 0 || v > s.max {
		s.max = v
	}
	s.sum += v
	s.n++
}

func (s *stat) merge(o stat) {
	if o.n == 0 {
		return
	}
	if s.n == 0 {
		*s = o
		return
	}
	s.min, s.max = min(s.min, o.min), max(s.max, o.max)
	s.sum += o.sum
	s.n += o.n
}

// indexBuckets keeps metrics over the call index in at most maxBuckets
// buckets of width calls each, in memory independent of the number of
// calls: when a call falls past the last bucket, adjacent buckets are
// merged and the width doubles. Calls may come in any order.
type indexBuckets struct {
	metrics    int
	maxBuckets int
	width      int64
	b          [][]stat // bucket -> metric
}

func newIndexBuckets(metrics, maxBuckets int) *indexBuckets {
	return &indexBuckets{metrics: metrics, maxBuckets: maxBuckets, width: 1}
}

// add counts value v of metric m for the call of index seq.
func (ib *indexBuckets) add(seq int64, m int, v float64) {
	if seq < 0 || math.IsNaN(v) {
		return
	}
	for seq/ib.width >= int64(ib.maxBuckets) {
		ib.halve()
	}
	i := int(seq / ib.width)
	for len(ib.b) <= i {
		ib.b = append(ib.b, make([]stat, ib.metrics))
	}
	ib.b[i][m].add(v)
}

// halve merges adjacent buckets, doubling the width.
func (ib *indexBuckets) halve() {
	out := ib.b[:0]
	for i := 0; i < len(ib.b); i += 2 {
		s := ib.b[i]
		if i+1 < len(ib.b) {
			for m := range s {
				s[m].merge(ib.b[i+1][m])
			}
		}
		out = append(out, s)
	}
	clear(ib.b[len(out):])
	ib.b = out
	ib.width *= 2
}

// xs is each bucket's first call index.
func (ib *indexBuckets) xs() []float64 {
	out := make([]float64, len(ib.b))
	for i := range out {
		out[i] = float64(int64(i) * ib.width)
	}
	return out
}

// series returns metric m's minimum, mean and maximum per bucket (NaN
// for a bucket without a value).
func (ib *indexBuckets) series(m int) (lo, mean, hi []float64) {
	lo, mean, hi = make([]float64, len(ib.b)), make([]float64, len(ib.b)), make([]float64, len(ib.b))
	for i, b := range ib.b {
		s := b[m]
		if s.n == 0 {
			lo[i], mean[i], hi[i] = math.NaN(), math.NaN(), math.NaN()
			continue
		}
		lo[i], mean[i], hi[i] = s.min, s.sum/float64(s.n), s.max
	}
	return lo, mean, hi
}
