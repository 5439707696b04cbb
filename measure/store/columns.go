package store

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// Column is one leaf column of a Batch: its value in each row of the
// batch, in one slice by the column's physical type (the others are
// nil). A null is a zero value, marked in Null.
type Column struct {
	// Null[i] reports that row i holds no value; nil when no row is null.
	Null []bool
	// Int64 holds an INT64 column's values: TIMESTAMP(MICROS) columns
	// hold microseconds since the Unix epoch.
	Int64 []int64
	// Double holds a DOUBLE column's values.
	Double []float64
	// Bool holds a BOOLEAN column's values.
	Bool []bool
	// String holds a BYTE_ARRAY column's values. A dictionary column's
	// strings are shared between the rows holding the same value.
	String []string

	nulls []bool // Null's storage, kept across batches
}

// IsNull reports whether row i holds no value.
func (c *Column) IsNull(i int) bool { return c.Null != nil && c.Null[i] }

// Batch is the rows of one row group, column by column.
type Batch struct {
	// Rows is the number of rows.
	Rows int
	// Columns are the columns asked for, in the order asked.
	Columns []Column
}

// Columns reads the named leaf columns of table (CDRTable,
// TimeSeriesTable or SysStatsTable; a nested column by its dotted path,
// e.g. "caller_rtp.mos"; not a repeated one; INT64, DOUBLE, BOOLEAN and
// BYTE_ARRAY columns) in the order the rows were written, one row
// group at a time, and calls fn with each. Only those columns are read
// and decompressed, and each page's values are decoded in bulk: far
// cheaper than ranging over Records when a few columns will do. A column
// a file does not have (written by an earlier version) reads as null;
// one whose type differs from the current schema's is an error. A
// goroutine decodes the next row group while fn has the current one (it
// has ended when Columns returns). The batch and its slices are reused:
// fn must not keep them. It stops at fn's
// first error, which it returns as it is.
func (r *Run) Columns(table string, names []string, fn func(*Batch) error) error {
	schema, err := r.schemaOf(table)
	if err != nil {
		return err
	}
	want := make([]parquet.LeafColumn, len(names))
	paths := make([][]string, len(names))
	for i, name := range names {
		paths[i] = strings.Split(name, ".")
		leaf, ok := schema.Lookup(paths[i]...)
		if !ok || leaf.MaxRepetitionLevel > 0 {
			return fmt.Errorf("store: %s: no column %q", table, name)
		}
		switch k := leaf.Node.Type().Kind(); k {
		case parquet.Int64, parquet.Double, parquet.Boolean, parquet.ByteArray:
		default:
			return fmt.Errorf("store: %s: column %q: %s values not supported", table, name, k)
		}
		want[i] = leaf
	}
	// Two batches: one is decoded while fn has the other.
	batches := [2]*Batch{{Columns: make([]Column, len(names))}, {Columns: make([]Column, len(names))}}
	for _, path := range r.files[table] {
		err := readColumns(path, names, paths, want, batches, fn)
		if errors.Is(err, errStop) {
			return err.(stopError).err
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", filepath.Base(path), err)
		}
	}
	return nil
}

// schemaOf is the current schema of table.
func (r *Run) schemaOf(table string) (*parquet.Schema, error) {
	switch table {
	case CDRTable:
		return r.cdr.schema, nil
	case TimeSeriesTable:
		return secondSchema, nil
	case SysStatsTable:
		return sysStatSchema, nil
	}
	return nil, fmt.Errorf("store: no table %q", table)
}

// stopError carries fn's error out of readColumns untouched.
type stopError struct{ err error }

func (e stopError) Error() string   { return e.err.Error() }
func (e stopError) Is(t error) bool { return t == errStop }

// readColumns reads the columns of one file, a row group at a time:
// those at paths, of the current schema's leaves want. A goroutine
// decodes the next row group into one of the batches while fn has the
// other, so reading and fn's work share two cores; it has ended when
// readColumns returns.
func readColumns(path string, names []string, paths [][]string, want []parquet.LeafColumn, batches [2]*Batch, fn func(*Batch) error) error {
	f, pf, err := openParquet(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cols := make([]fileColumn, len(want))
	for i, w := range want {
		cols[i] = fileColumn{name: names[i], kind: w.Node.Type().Kind(), index: -1}
		leaf, ok := pf.Schema().Lookup(paths[i]...)
		if !ok {
			continue
		}
		if leaf.MaxRepetitionLevel > 0 || leaf.Node.Type().String() != w.Node.Type().String() {
			return fmt.Errorf("column %s: %s in the file, %s expected", names[i], leaf.Node.Type(), w.Node.Type())
		}
		cols[i].index, cols[i].maxDef = leaf.ColumnIndex, leaf.MaxDefinitionLevel
	}
	free := make(chan *Batch, len(batches))
	for _, b := range batches {
		free <- b
	}
	full := make(chan *Batch)
	stop := make(chan struct{})
	var decodeErr error
	go func() {
		defer close(full)
		for _, rg := range pf.RowGroups() {
			var b *Batch
			select {
			case b = <-free:
			case <-stop:
				return
			}
			if decodeErr = decode(rg, cols, b); decodeErr != nil {
				return
			}
			select {
			case full <- b:
			case <-stop:
				return
			}
		}
	}()
	for b := range full {
		if err := fn(b); err != nil {
			close(stop)
			for range full { // until the goroutine has ended
			}
			return stopError{err}
		}
		free <- b
	}
	return decodeErr // written before full was closed
}

// fileColumn is a column asked for, as one file holds it.
type fileColumn struct {
	name string
	kind parquet.Kind
	// index is the column's index in the file (-1: the file lacks it);
	// maxDef its maximum definition level.
	index, maxDef int
}

// decode reads the columns of one row group into b.
func decode(rg parquet.RowGroup, cols []fileColumn, b *Batch) error {
	rows := int(rg.NumRows())
	b.Rows = rows
	chunks := rg.ColumnChunks()
	for i, fc := range cols {
		c := &b.Columns[i]
		if fc.index < 0 {
			c.reset(fc.kind, rows, true)
			continue
		}
		c.reset(fc.kind, rows, fc.maxDef > 0)
		if err := c.read(chunks[fc.index], fc.kind, fc.maxDef); err != nil {
			return fmt.Errorf("column %s: %w", fc.name, err)
		}
	}
	return nil
}

// reset sizes c for rows values of kind, all null when null.
func (c *Column) reset(kind parquet.Kind, rows int, optional bool) {
	c.Null = nil
	if optional {
		c.nulls = resize(c.nulls, rows)
		c.Null = c.nulls
		for i := range c.Null {
			c.Null[i] = true
		}
	}
	c.Int64, c.Double, c.Bool, c.String = c.Int64[:0], c.Double[:0], c.Bool[:0], c.String[:0]
	switch kind {
	case parquet.Int64:
		c.Int64 = resize(c.Int64, rows)
		clear(c.Int64)
	case parquet.Double:
		c.Double = resize(c.Double, rows)
		clear(c.Double)
	case parquet.Boolean:
		c.Bool = resize(c.Bool, rows)
		clear(c.Bool)
	case parquet.ByteArray:
		c.String = resize(c.String, rows)
		clear(c.String)
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// read decodes one column chunk into c, page by page: it marks the rows
// each page holds a value in, then decodes the values into them.
func (c *Column) read(chunk parquet.ColumnChunk, kind parquet.Kind, maxDef int) error {
	pages := chunk.Pages()
	defer pages.Close()
	row := 0
	var dict pageDict
	var present []int
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		n := int(p.NumRows())
		if row+n > c.len() {
			parquet.Release(p)
			return fmt.Errorf("pages hold more than the row group's %d rows", c.len())
		}
		// present lists the rows of the page holding a value, in order.
		present = present[:0]
		if maxDef > 0 {
			levels := p.DefinitionLevels()
			for j, l := range levels {
				if int(l) == maxDef {
					present = append(present, row+j)
					c.Null[row+j] = false
				}
			}
		}
		rows := pageRows{row: row, present: present, optional: maxDef > 0}
		data := p.Data()
		if d := p.Dictionary(); d != nil {
			err = c.readDictPage(data, d, kind, rows, &dict)
		} else {
			c.readPlainPage(data, kind, n, rows)
		}
		parquet.Release(p)
		if err != nil {
			return err
		}
		row += n
	}
}

// pageRows are the rows a page's values go to: from row on, one per
// value, in a required column; those listed in present in an optional
// one (its nulls hold no value).
type pageRows struct {
	row      int
	present  []int
	optional bool
}

// at is the row of the page's k-th value.
func (r pageRows) at(k int) int {
	if r.optional {
		return r.present[k]
	}
	return r.row + k
}

// pageDict is the dictionary a column chunk's pages were last encoded
// with, and its values as strings, decoded once (when needed) for all
// the pages sharing it.
type pageDict struct {
	dict    parquet.Dictionary
	strings []string
}

// readDictPage decodes a dictionary-encoded page into rows: data holds
// indexes into d's values.
func (c *Column) readDictPage(data encoding.Values, d parquet.Dictionary, kind parquet.Kind, rows pageRows, pd *pageDict) error {
	if d != pd.dict {
		pd.dict, pd.strings = d, nil
	}
	idx := data.Int32()
	dv := d.Page().Data()
	switch kind {
	case parquet.Int64:
		vals := dv.Int64()
		for k, ix := range idx {
			c.Int64[rows.at(k)] = vals[ix]
		}
	case parquet.Double:
		vals := dv.Double()
		for k, ix := range idx {
			c.Double[rows.at(k)] = vals[ix]
		}
	case parquet.ByteArray:
		if pd.strings == nil {
			pd.strings = byteArrayStrings(dv)
		}
		for k, ix := range idx {
			c.String[rows.at(k)] = pd.strings[ix]
		}
	default:
		return fmt.Errorf("dictionary of %s values not supported", kind)
	}
	return nil
}

// readPlainPage decodes a plain-encoded page of n rows into rows: a
// required column's numbers are copied in bulk.
func (c *Column) readPlainPage(data encoding.Values, kind parquet.Kind, n int, rows pageRows) {
	switch kind {
	case parquet.Int64:
		spread(c.Int64, data.Int64(), rows)
	case parquet.Double:
		spread(c.Double, data.Double(), rows)
	case parquet.Boolean:
		bits := data.Boolean()
		nv := n
		if rows.optional {
			nv = len(rows.present)
		}
		for k := range nv {
			c.Bool[rows.at(k)] = bits[k/8]&(1<<(k%8)) != 0
		}
	case parquet.ByteArray:
		for k, s := range byteArrayStrings(data) {
			c.String[rows.at(k)] = s
		}
	}
}

// spread puts a page's numbers into their rows of dst: in one copy for a
// required column, one by one for an optional one.
func spread[T int64 | float64](dst, vals []T, rows pageRows) {
	if !rows.optional {
		copy(dst[rows.row:], vals)
		return
	}
	for k, v := range vals {
		dst[rows.present[k]] = v
	}
}

// len is the number of rows c was sized for.
func (c *Column) len() int {
	switch {
	case c.Int64 != nil:
		return len(c.Int64)
	case c.Double != nil:
		return len(c.Double)
	case c.Bool != nil:
		return len(c.Bool)
	case c.String != nil:
		return len(c.String)
	}
	return len(c.Null)
}

// byteArrayStrings copies BYTE_ARRAY values to strings, in one
// allocation for their bytes.
func byteArrayStrings(v encoding.Values) []string {
	data, offsets := v.ByteArray()
	if len(offsets) == 0 {
		return nil
	}
	all := string(data)
	out := make([]string, len(offsets)-1)
	for i := range out {
		out[i] = all[offsets[i]:offsets[i+1]]
	}
	return out
}
