package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PNG size: readable in a ticket or a chat without opening it.
const (
	pngWidth  = 10 * vg.Inch
	pngHeight = 4 * vg.Inch
)

// writePNGs writes each chart to dir/ID.png, drawn from the same values
// as the page's, in parallel.
func writePNGs(dir string, charts []*chart) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	errs := make([]error, len(charts))
	var wg sync.WaitGroup
	for i, c := range charts {
		wg.Go(func() {
			if err := writePNG(filepath.Join(dir, c.ID+".png"), c); err != nil {
				errs[i] = fmt.Errorf("%s.png: %w", c.ID, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writePNG draws one chart.
func writePNG(path string, c *chart) error {
	p, err := drawChart(c)
	if err != nil {
		return err
	}
	w, err := p.WriterTo(pngWidth, pngHeight, "png")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = w.WriteTo(f)
	if err = errors.Join(err, f.Close()); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return os.Rename(tmp, path)
}

// drawChart lays a chart out with gonum/plot.
func drawChart(c *chart) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.ThumbnailWidth = vg.Points(18)
	if c.X == xTime {
		p.X.Label.Text = "time (UTC)"
		p.X.Tick.Marker = plot.TimeTicks{Format: "15:04:05"}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{Y: 0xe8}, color.Gray{Y: 0xe8}
	p.Add(grid)
	p.Y.Min = 0
	if c.Bars {
		s := c.Series[0]
		width := 1.0
		if len(c.Xs) > 1 {
			width = c.Xs[1] - c.Xs[0]
		}
		bins := make([]plotter.HistogramBin, len(c.Xs))
		for i, x := range c.Xs {
			bins[i] = plotter.HistogramBin{Min: x, Max: x + width, Weight: zeroNaN(s.Values[i])}
		}
		h := &plotter.Histogram{Bins: bins, Width: width, FillColor: hexColour(s.Color)}
		h.LineStyle = draw.LineStyle{Color: color.White, Width: vg.Points(0.3)}
		p.Add(h)
		return p, nil
	}
	for _, b := range c.Bands {
		hi, lo := c.Series[b[0]].Values, c.Series[b[1]].Values
		fill := hexColour(c.Series[b[0]].Color)
		fill.A = 0x90
		for _, seg := range segments(c.Xs, hi, lo) {
			ring := make(plotter.XYs, 0, 2*len(seg))
			for _, i := range seg {
				ring = append(ring, plotter.XY{X: c.Xs[i], Y: hi[i]})
			}
			for k := len(seg) - 1; k >= 0; k-- {
				ring = append(ring, plotter.XY{X: c.Xs[seg[k]], Y: lo[seg[k]]})
			}
			poly, err := plotter.NewPolygon(ring)
			if err != nil {
				return nil, err
			}
			poly.Color, poly.LineStyle.Width = fill, 0
			p.Add(poly)
		}
	}
	for _, s := range c.Series {
		style := draw.LineStyle{Color: hexColour(s.Color), Width: vg.Points(1.2)}
		if s.Dash {
			style.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		if s.Faint {
			style.Width = vg.Points(0.5)
		}
		legend := false
		for _, xys := range strokes(c.Xs, s.Values) {
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, err
			}
			l.LineStyle = style
			p.Add(l)
			if !legend && !s.Faint {
				p.Legend.Add(s.Label, l)
				legend = true
			}
		}
	}
	return p, nil
}

// segments cuts the indices of xs into runs where every one of ys has a
// value (no NaN): lines break at gaps.
func segments(xs []float64, ys ...[]float64) [][]int {
	var out [][]int
	var cur []int
	for i := range xs {
		ok := true
		for _, y := range ys {
			if i >= len(y) || math.IsNaN(y[i]) {
				ok = false
				break
			}
		}
		if ok {
			cur = append(cur, i)
			continue
		}
		if len(cur) > 0 {
			out, cur = append(out, cur), nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// strokePoints bounds the points of one stroked line. The rasterizer
// (golang/freetype) keeps each pixel row's cells in a list it walks for
// every cell it adds, so one stroke of a noisy series 2,000 points long
// (a CPU or reply-time series over an hour) costs seconds; strokes of a
// few dozen points each keep their rows' lists short and draw the same
// line in milliseconds.
const strokePoints = 48

// strokes are the lines a series is drawn as: broken at its gaps, and
// in pieces of at most strokePoints points.
func strokes(xs, ys []float64) []plotter.XYs {
	var out []plotter.XYs
	for _, seg := range segments(xs, ys) {
		for _, piece := range pieces(seg, strokePoints) {
			xys := make(plotter.XYs, len(piece))
			for k, i := range piece {
				xys[k] = plotter.XY{X: xs[i], Y: ys[i]}
			}
			out = append(out, xys)
		}
	}
	return out
}

// pieces cuts seg into runs of at most n indices, each starting where
// the one before ended, so the line drawn from them is unbroken.
func pieces(seg []int, n int) [][]int {
	if len(seg) <= n {
		return [][]int{seg}
	}
	var out [][]int
	for lo := 0; lo < len(seg)-1; lo += n - 1 {
		out = append(out, seg[lo:min(lo+n, len(seg))])
	}
	return out
}

func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// hexColour parses "#rrggbb" (grey when it cannot).
func hexColour(s string) color.NRGBA {
	if len(s) == 7 && s[0] == '#' {
		if n, err := strconv.ParseUint(s[1:], 16, 32); err == nil {
			return color.NRGBA{R: uint8(n >> 16), G: uint8(n >> 8), B: uint8(n), A: 0xff}
		}
	}
	return color.NRGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
}
