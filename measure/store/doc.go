// Package store writes switchio's measurements of one run to a directory
// as they come, and reads a run back.
//
// # Layout
//
// A closed run's directory (switchio dial/serve --out DIR) holds:
//
//	cdr.parquet         one row per measure.Record, verdict_<name> columns last
//	timeseries.parquet  one row per second (measure.Second)
//	sysstats.parquet    one row per sample and source (measure.SysStat)
//	calls.csv           the rows of cdr.parquet for spreadsheets
//	summary.json        the run's summary (WriteSummary)
//
// Columns are typed; times are TIMESTAMP(MICROS, UTC); a zero time, a nil
// pointer or a missing verdict is null (an empty cell in calls.csv, whose
// times are RFC 3339 UTC with microseconds and whose nested columns are
// flattened with "_", e.g. caller_rtp_mos). Files are compressed with
// zstd, which pandas (pyarrow), DuckDB and Spark read.
//
// timeseries.parquet's failed_by_cause is a MAP<STRING, INT64> of failed
// calls by hang-up cause in that second (empty when none failed): DuckDB
// reads it as a MAP (failed_by_cause['USER_BUSY'], or
// unnest(map_entries(failed_by_cause)) for long format); pandas gets a list
// of (cause, count) pairs per cell, e.g.
//
//	df = pd.read_parquet("timeseries.parquet")
//	causes = df.set_index("second").failed_by_cause.apply(dict).apply(pd.Series).fillna(0)
//
// A map keeps one row per second (the other columns are not repeated per
// cause) and, unlike one column per cause, needs no cause list before the
// run starts.
//
// # Crash safety
//
// A Parquet file is readable only once its footer is written, at its
// close, so a killed process would lose a file being written. Each table is
// therefore written as rolling part files: rows go to
// NAME.part-NNNNNN.parquet.tmp and the part is sealed (footer written,
// fsync, renamed to NAME.part-NNNNNN.parquet) when it holds
// Options.PartRows rows, every Options.FlushInterval (1 s by default) when
// it holds any row, and on Writer.Flush. Memory is bounded whatever the
// run's length: a part's rows are encoded into compressed pages as they
// come, and only the open part's pages are held (about 14 MiB of heap for
// the CDR). Close seals the last parts and merges each table's parts into
// NAME.parquet (a single part is renamed; row groups of at least
// PartRows/2 rows are copied verbatim, smaller ones re-encoded column by
// column into row groups of up to PartRows rows), written as a temporary
// file and renamed, and then removes the parts. The merge's memory does
// not grow with the run: it reads one part at a time, and the open row
// group's compressed pages wait in temporary files beside the run
// (NAME.merge-*.tmp, removed once merged), so closing a run adds a few MB
// whatever its length or its number of parts.
//
// The guarantee: every row written before a Flush returned nil (and so
// every row written more than FlushInterval plus the time to seal a part
// before the process died) is in a sealed part file and is read back by
// Load after the process is killed, by SIGKILL or otherwise. A killed run
// is a valid Parquet dataset as it stands: DuckDB and pandas read
// 'cdr*.parquet' (the *.tmp files of unsealed parts do not match).
// calls.csv is appended to and flushed when the CDR part is sealed: after a
// kill it holds at least the sealed rows and may end with a cut line.
// Recover turns a killed run's directory into a closed run's layout.
//
// A merged NAME.parquet exists only once complete, so when a kill during
// Close leaves both it and parts, Load reads NAME.parquet and ignores the
// parts (Recover removes them).
//
// # Reading
//
// Load opens a run, closed or killed, and streams its records, seconds and
// system statistics as iterators, one row group in memory at a time.
package store

//go:generate go test -run ^TestCallsCSVDoc$ -update .
