package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/switchio/switchio/measure"
)

// ErrNoRun is returned by Load and Recover for a directory holding none
// of a run's files.
var ErrNoRun = errors.New("no run")

// Run is a run read back from its directory: closed, or left by a killed
// writer. Its iterators read the files when ranged over, one row group in
// memory at a time; each may be ranged over several times.
type Run struct {
	// Dir is the run's directory.
	Dir string
	// Closed reports whether every table was closed (merged into its
	// NAME.parquet); false for a killed run, read from its sealed parts.
	Closed bool
	// Verdicts are the CDR's verdict columns, in column order.
	Verdicts []measure.VerdictSpec

	cdr   *cdrSchema
	files map[string][]string // table -> files in row order
}

// Load opens the run in dir: each table's NAME.parquet if it was closed,
// else its sealed parts in order (see the package doc). It reads only the
// CDR's metadata; rows are read by the iterators. Its errors name dir.
func Load(dir string) (*Run, error) {
	r, err := load(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", dir, err)
	}
	return r, nil
}

func load(dir string) (*Run, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return isRunFile(e.Name()) }) {
		return nil, ErrNoRun
	}
	r := &Run{Dir: dir, Closed: true, files: make(map[string][]string)}
	for _, t := range tables {
		final := finalPath(dir, t)
		switch _, err := os.Stat(final); {
		case err == nil:
			r.files[t] = []string{final}
			continue
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
		r.Closed = false
		if r.files[t], err = listParts(dir, t); err != nil {
			return nil, err
		}
	}
	if files := r.files[CDRTable]; len(files) > 0 {
		f, pf, err := openParquet(files[0])
		if err != nil {
			return nil, err
		}
		r.Verdicts, err = verdictsOf(pf)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(files[0]), err)
		}
	}
	if r.cdr, err = newCDRSchema(r.Verdicts); err != nil {
		return nil, err
	}
	return r, nil
}

// Files returns the Parquet files table (CDRTable, TimeSeriesTable or
// SysStatsTable) is read from, in row order: its NAME.parquet, or the
// sealed parts of a killed run; none when the run has none (a run killed
// before its first flush keeps its calls in calls.csv only).
func (r *Run) Files(table string) []string {
	return slices.Clone(r.files[table])
}

// Records yields the run's call records in the order they were written.
// It stops at the first error, yielded with a zero Record.
func (r *Run) Records() iter.Seq2[measure.Record, error] {
	return rowsOf(r.files[CDRTable], r.cdr.schema, r.cdr.record)
}

// Seconds yields the run's time series in the order written.
func (r *Run) Seconds() iter.Seq2[measure.Second, error] {
	return rowsOf(r.files[TimeSeriesTable], secondSchema, func(row parquet.Row) (measure.Second, error) {
		var s measure.Second
		err := secondSchema.Reconstruct(&s, row)
		return s, err
	})
}

// SysStats yields the run's system statistics in the order written.
func (r *Run) SysStats() iter.Seq2[measure.SysStat, error] {
	return rowsOf(r.files[SysStatsTable], sysStatSchema, func(row parquet.Row) (measure.SysStat, error) {
		var s measure.SysStat
		err := sysStatSchema.Reconstruct(&s, row)
		return s, err
	})
}

// Summary decodes the run's summary.json into v; the error wraps
// fs.ErrNotExist when the run has none.
func (r *Run) Summary(v any) error {
	b, err := os.ReadFile(filepath.Join(r.Dir, SummaryFile))
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("store: %s: %w", SummaryFile, err)
	}
	return nil
}

// rowsOf yields the rows of files as read by schema (converted by column
// name when a file's schema differs, e.g. written by another version),
// each made a T by conv.
func rowsOf[T any](files []string, schema *parquet.Schema, conv func(parquet.Row) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for _, path := range files {
			err := readRows(path, schema, func(row parquet.Row) (bool, error) {
				v, err := conv(row)
				if err != nil {
					return false, err
				}
				return yield(v, nil), nil
			})
			if errors.Is(err, errStop) {
				return
			}
			if err != nil {
				yield(zero, fmt.Errorf("store: %s: %w", filepath.Base(path), err))
				return
			}
		}
	}
}

// errStop ends readRows when its caller stopped the iteration.
var errStop = errors.New("stop")

// readRows calls fn for each row of a file, read as schema, until fn
// returns false or an error.
func readRows(path string, schema *parquet.Schema, fn func(parquet.Row) (bool, error)) error {
	f, pf, err := openParquet(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var conv parquet.Conversion
	if !parquet.EqualNodes(schema, pf.Schema()) {
		if conv, err = parquet.Convert(schema, pf.Schema()); err != nil {
			return err
		}
	}
	buf := make([]parquet.Row, 128)
	for _, rg := range pf.RowGroups() {
		if conv != nil {
			rg = parquet.ConvertRowGroup(rg, conv)
		}
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				more, ferr := fn(row)
				if ferr != nil || !more {
					rows.Close()
					if ferr == nil {
						ferr = errStop
					}
					return ferr
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

// Recover turns the directory of a killed run into a closed run's layout:
// each table's sealed parts are merged into NAME.parquet (a table without
// any gets an empty file), parts and merge buffers left by a kill during
// Close are removed, as are unsealed parts (their rows are lost), and a cut last line of
// calls.csv is dropped. A closed run is left as it is.
func Recover(dir string) error {
	r, err := Load(dir)
	if err != nil {
		return err
	}
	for _, t := range tables {
		parts, err := listParts(dir, t)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if _, err := os.Stat(finalPath(dir, t)); err == nil {
			for _, p := range parts {
				if err := os.Remove(p); err != nil {
					return fmt.Errorf("store: %w", err)
				}
			}
			continue
		}
		opts, err := recoverOptions(t, r, parts)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := merge(dir, t, parts, DefaultPartRows, opts); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	tmps, err := filepath.Glob(filepath.Join(globEscape(dir), "*"+tmpExt))
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, p := range tmps {
		if isRunFile(filepath.Base(p)) {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
	}
	if err := trimCutLine(filepath.Join(dir, CSVFile)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// recoverOptions are the writer options a table's parts were written
// with: the first part's schema and metadata, else the current schema.
func recoverOptions(table string, r *Run, parts []string) ([]parquet.WriterOption, error) {
	if len(parts) > 0 {
		f, pf, err := openParquet(parts[0])
		if err != nil {
			return nil, err
		}
		defer f.Close()
		opts := append([]parquet.WriterOption{pf.Schema()}, writerOptions...)
		if md, ok := pf.Lookup(verdictsKey); ok {
			opts = append(opts, parquet.KeyValueMetadata(verdictsKey, md))
		}
		return opts, nil
	}
	switch table {
	case CDRTable:
		return append([]parquet.WriterOption{r.cdr.schema}, cdrWriterOptions(r.cdr)...), nil
	case TimeSeriesTable:
		return append([]parquet.WriterOption{secondSchema}, writerOptions...), nil
	default:
		return append([]parquet.WriterOption{sysStatSchema}, writerOptions...), nil
	}
}

// trimCutLine drops what follows the last newline of a file, if it
// exists: the cut row a kill may leave. It reads the file's tail only.
func trimCutLine(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for end := st.Size(); end > 0; {
		start := max(end-int64(len(buf)), 0)
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			if keep := start + int64(i) + 1; keep < st.Size() {
				return f.Truncate(keep)
			}
			return nil
		}
		end = start
	}
	return f.Truncate(0)
}
