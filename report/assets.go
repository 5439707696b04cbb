package report

// ChartLibrary returns the chart library the reports embed (uPlot, MIT
// licence: assets/uPlot.LICENSE): its script and its style sheet, so
// that other pages of the project (the dialer's live view) draw their
// charts with the same code, served from the binary, never from the
// network.
func ChartLibrary() (js, css string) { return uplotJS, uplotCSS }
