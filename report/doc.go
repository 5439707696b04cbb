// Package report turns a measured run's directory (switchio dial --out
// DIR, see package measure/store) into a report people read: one
// self-contained DIR/report.html (run header, summary tables, interactive
// charts; it opens offline, the chart library is embedded in the binary
// and inlined in the page) and each chart again as a PNG in DIR/plots/,
// for tickets and chat.
//
// Every figure shown uses the names of switchio's metric catalogue
// (docs/metrics.md, measure.Catalogue). The summary tables come from
// summary.json; the charts from timeseries.parquet (per second),
// cdr.parquet (per call: over the call index, the set-up latency
// histogram, per server) and sysstats.parquet (controller and server CPU
// and sessions).
//
// Size and build time are bounded whatever the run's length: the run's
// files are streamed once, per-call figures are kept in at most
// Options.MaxPoints buckets of the call index (min, mean and max each),
// and per-second series longer than MaxPoints are reduced to MaxPoints
// points keeping each bucket's minimum and maximum, so spikes survive.
package report
