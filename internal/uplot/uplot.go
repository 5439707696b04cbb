// Package uplot holds the chart library the report and the live view
// draw with (uPlot 1.6.32, MIT licence: uPlot.LICENSE), embedded so that
// both work offline and serve it from the binary, never from the network.
package uplot

import _ "embed"

var (
	//go:embed uPlot.iife.min.js
	js string
	//go:embed uPlot.min.css
	css string
)

// Library returns the library's script and style sheet.
func Library() (script, style string) { return js, css }
