package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// merge writes a table's parts into its final file and removes them. A
// single part is renamed; row groups of at least rowGroupRows/2 rows are
// copied verbatim and smaller ones re-encoded, column by column, into row
// groups of up to rowGroupRows rows; no part makes a file with no rows.
// opts are the parts' writer options, schema included. The final file is
// written under a temporary name and renamed, so it exists only once
// complete.
//
// Its memory does not grow with the number of parts or rows (see merger):
// one part is open at a time, and the final file's open row group keeps
// its compressed pages in temporary files in dir (NAME.merge-*.tmp,
// removed once merged), not on the heap.
func merge(dir, name string, parts []string, rowGroupRows int, opts []parquet.WriterOption) error {
	final := finalPath(dir, name)
	switch len(parts) {
	case 0:
		return writeEmpty(dir, name, opts)
	case 1:
		if err := os.Rename(parts[0], final); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return syncDir(dir)
	}
	tmp := final + tmpExt
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	m := newMerger(f, int64(rowGroupRows), append(slices.Clip(opts),
		parquet.PageBufferSize(mergePageBufferSize),
		parquet.ColumnPageBuffers(parquet.NewFileBufferPool(dir, name+mergeInfix+"*"+tmpExt))))
	for _, p := range parts {
		if err = m.appendPart(p); err != nil {
			break
		}
	}
	if err == nil {
		err = m.w.Close()
	}
	err = errors.Join(err, removeMergeBuffers(dir, name))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: merging parts: %w", name, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, p := range parts {
		err = errors.Join(err, os.Remove(p))
	}
	if err != nil {
		return fmt.Errorf("%s: removing parts: %w", name, err)
	}
	return nil
}

const (
	// mergeInfix names the temporary files holding the compressed pages
	// of the merged file's open row group: NAME.merge-*.tmp.
	mergeInfix = ".merge-"
	// mergePageBufferSize is the merged file's page size before
	// encoding. Each column buffers a page of values, so the merge holds
	// columns times this, about 4 MiB for the CDR: 64 KiB pages make the
	// file about 4% larger than the parts' 128 KiB would and halve these
	// buffers, which switchio dial's GOGC=400 multiplies by five.
	mergePageBufferSize = 64 << 10
	// mergeValues is how many values a column copy reads at a time.
	mergeValues = 1024
)

// merger appends the rows of part files to one writer.
//
// A part's small row groups are copied column by column: each column's
// values go from the part's pages to the writer's column, and no row is
// assembled. Reading rows instead (RowGroup.Rows) costs a row reader per
// part whose buffers parquet-go frees only through a finalizer, one
// collection after the next: under a large GOGC (switchio dial runs at
// 400) each collection keeps the readers of every part read since the
// previous one, which raises the next heap goal, and a run of thousands
// of one-second parts grew the heap by gigabytes at its close.
type merger struct {
	w            *parquet.Writer
	rowGroupRows int64
	// pending is the rows in the writer's open row group.
	pending int64
	// maxRep is the maximum repetition level of each leaf column: 0 for a
	// flat column, whose values are one per row.
	maxRep []int
	buf    []parquet.Value
}

func newMerger(f io.Writer, rowGroupRows int64, opts []parquet.WriterOption) *merger {
	w := parquet.NewWriter(f, append(opts, parquet.MaxRowsPerRowGroup(rowGroupRows))...)
	schema := w.Schema()
	m := &merger{w: w, rowGroupRows: rowGroupRows, buf: make([]parquet.Value, mergeValues)}
	for _, path := range schema.Columns() {
		leaf, _ := schema.Lookup(path...)
		m.maxRep = append(m.maxRep, leaf.MaxRepetitionLevel)
	}
	return m
}

// appendPart appends the rows of one part file, in order.
func (m *merger) appendPart(path string) error {
	f, pf, err := openParquet(path, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return err
	}
	defer f.Close()
	byColumn := parquet.EqualNodes(pf.Schema(), m.w.Schema())
	for _, rg := range pf.RowGroups() {
		if err := m.appendRowGroup(rg, byColumn); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
	}
	return nil
}

// appendRowGroup appends one row group's rows: verbatim when it has at
// least rowGroupRows/2 rows, else to the open row group, flushed first
// when the rows would not fit. byColumn says the row group has the
// writer's schema; one that has not (a part written by another version)
// is converted row by row.
func (m *merger) appendRowGroup(rg parquet.RowGroup, byColumn bool) error {
	n := rg.NumRows()
	if m.pending > 0 && m.pending+n > m.rowGroupRows {
		if err := m.w.Flush(); err != nil {
			return err
		}
		m.pending = 0
	}
	switch {
	case n >= m.rowGroupRows/2:
		// Flushes the open row group first.
		if _, err := m.w.WriteRowGroup(rg); err != nil {
			return err
		}
		m.pending = 0
		return nil
	case !byColumn:
		rows := rg.Rows()
		_, err := m.w.ReadRowsFrom(rows)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	default:
		cols := m.w.ColumnWriters()
		for i, chunk := range rg.ColumnChunks() {
			if err := m.copyColumn(cols[i], chunk, m.maxRep[i]); err != nil {
				return fmt.Errorf("column %s: %w", strings.Join(m.w.Schema().Columns()[i], "."), err)
			}
		}
	}
	m.pending += n
	return nil
}

// copyColumn writes the values of src to dst, whole rows at a time (a
// row may not span two pages). A flat column's values are each a row; a
// repeated column's batch ends before its last row, which may continue
// in the next page, and that row's values are kept (cloned: the page
// they point into is released when the next one is read) for the next
// write.
func (m *merger) copyColumn(dst *parquet.ColumnWriter, src parquet.ColumnChunk, maxRep int) error {
	r := parquet.NewColumnChunkValueReader(src)
	defer r.Close()
	buf, carry := m.buf, 0
	for {
		n, err := r.ReadValues(buf[carry:])
		if errors.Is(err, io.EOF) {
			if carry > 0 {
				if _, err := dst.WriteRowValues(buf[:carry]); err != nil {
					return err
				}
			}
			return nil
		}
		if err != nil {
			return err
		}
		n += carry
		end := n
		if maxRep > 0 {
			end = lastRowStart(buf[:n])
		}
		if end > 0 {
			if _, err := dst.WriteRowValues(buf[:end]); err != nil {
				return err
			}
		}
		carry = copy(buf, buf[end:n])
		for i := range buf[:carry] {
			buf[i] = buf[i].Clone()
		}
		if carry == len(buf) {
			// One row's values fill the buffer.
			buf = append(buf, make([]parquet.Value, len(buf))...)
			m.buf = buf
		}
	}
}

// lastRowStart is the index of the last value of values that starts a
// row (repetition level 0), 0 when none does after the first.
func lastRowStart(values []parquet.Value) int {
	for i := len(values) - 1; i > 0; i-- {
		if values[i].RepetitionLevel() == 0 {
			return i
		}
	}
	return 0
}

// removeMergeBuffers removes the page buffers a merge of the table left
// (parquet-go removes them as each row group is written; a failed merge
// or a kill leaves them).
func removeMergeBuffers(dir, name string) error {
	paths, err := filepath.Glob(filepath.Join(globEscape(dir), globEscape(name)+mergeInfix+"*"+tmpExt))
	if err != nil {
		return err
	}
	for _, p := range paths {
		if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// writeEmpty writes a table's final file with no rows.
func writeEmpty(dir, name string, opts []parquet.WriterOption) error {
	final := finalPath(dir, name)
	f, err := os.Create(final + tmpExt)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	err = parquet.NewWriter(f, opts...).Close()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(final+tmpExt, final)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
