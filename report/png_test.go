package report

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// pieces cover a segment in order, each at most n long and starting
// where the one before ended, so the line drawn is unbroken.
func TestPieces(t *testing.T) {
	seq := func(lo, hi int) []int {
		var s []int
		for i := lo; i < hi; i++ {
			s = append(s, i)
		}
		return s
	}
	for _, tc := range []struct {
		seg  []int
		n    int
		want string
	}{
		{seq(0, 1), 4, "[[0]]"},
		{seq(0, 4), 4, "[[0 1 2 3]]"},
		{seq(0, 5), 4, "[[0 1 2 3] [3 4]]"},
		{seq(0, 7), 4, "[[0 1 2 3] [3 4 5 6]]"},
		{seq(10, 18), 3, "[[10 11 12] [12 13 14] [14 15 16] [16 17]]"},
	} {
		if got := fmt.Sprint(pieces(tc.seg, tc.n)); got != tc.want {
			t.Errorf("pieces(%v, %d) = %s, want %s", tc.seg, tc.n, got, tc.want)
		}
	}
}

// A long noisy series with a gap is stroked as lines of at most
// strokePoints points that together draw every point outside the gap
// once, each joined to the one before but across the gap.
func TestStrokes(t *testing.T) {
	const n = 2000
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i], ys[i] = float64(i), 2+math.Sin(float64(i)*1.7)
	}
	ys[700] = math.NaN()
	lines := strokes(xs, ys)
	var drawn []float64
	for j, l := range lines {
		if len(l) > strokePoints {
			t.Fatalf("line %d of %d points", j, len(l))
		}
		for k, xy := range l {
			if k == 0 && j > 0 && lines[j-1][len(lines[j-1])-1] == xy {
				continue // the joint with the line before
			}
			if xy.Y != ys[int(xy.X)] {
				t.Fatalf("point %v, want y %v", xy, ys[int(xy.X)])
			}
			drawn = append(drawn, xy.X)
		}
	}
	want := slices.Delete(slices.Clone(xs), 700, 701)
	if !slices.Equal(drawn, want) {
		t.Fatalf("%d lines draw %d points, want the %d outside the gap", len(lines), len(drawn), len(want))
	}
	if len(lines) < n/strokePoints {
		t.Fatalf("%d lines", len(lines))
	}
}
