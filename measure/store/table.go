package store

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// Table names: each table is NAME.parquet once closed, NAME.part-*.parquet
// while written.
const (
	CDRTable        = "cdr"
	TimeSeriesTable = "timeseries"
	SysStatsTable   = "sysstats"
)

// tables are the run's tables in the order they are closed.
var tables = []string{CDRTable, TimeSeriesTable, SysStatsTable}

const (
	partInfix  = ".part-"
	parquetExt = ".parquet"
	tmpExt     = ".tmp"
)

// partPath is the path of a table's part number n once sealed.
func partPath(dir, table string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("%s%s%06d%s", table, partInfix, n, parquetExt))
}

// finalPath is the path of a closed table.
func finalPath(dir, table string) string {
	return filepath.Join(dir, table+parquetExt)
}

// table writes the rows of one table as rolling part files (see the
// package doc). Its methods are safe for concurrent use.
type table struct {
	dir, name string
	schema    *parquet.Schema
	opts      []parquet.WriterOption
	partRows  int
	// afterSeal runs under mu once a part is sealed (calls.csv's flush).
	afterSeal func() error

	mu     sync.Mutex
	cur    *part // nil: no open part
	parts  int   // parts opened so far
	err    error // sticky: the first error that lost rows
	rowbuf []parquet.Row
}

// part is one open part file.
type part struct {
	f    *os.File
	w    *parquet.Writer
	path string // sealed path; the file is path+tmpExt until sealed
	rows int
}

func newTable(dir, name string, schema *parquet.Schema, partRows int, opts ...parquet.WriterOption) *table {
	return &table{
		dir:      dir,
		name:     name,
		schema:   schema,
		opts:     append([]parquet.WriterOption{schema}, opts...),
		partRows: partRows,
		rowbuf:   make([]parquet.Row, 1),
	}
}

// writeLocked writes one row (t.mu held), sealing the part when full.
func (t *table) writeLocked(row parquet.Row) error {
	if t.err != nil {
		return t.err
	}
	if t.cur == nil {
		t.parts++
		p := &part{path: partPath(t.dir, t.name, t.parts)}
		f, err := os.Create(p.path + tmpExt)
		if err != nil {
			t.err = fmt.Errorf("%s: %w", t.name, err)
			return t.err
		}
		p.f, p.w = f, parquet.NewWriter(f, t.opts...)
		t.cur = p
	}
	t.rowbuf[0] = row
	_, err := t.cur.w.WriteRows(t.rowbuf)
	t.rowbuf[0] = nil
	if err != nil {
		t.err = fmt.Errorf("%s: %s: %w", t.name, filepath.Base(t.cur.path), err)
		return t.err
	}
	if t.cur.rows++; t.cur.rows >= t.partRows {
		return t.sealLocked()
	}
	return nil
}

// seal seals the open part, if any: once it returns nil, every row written
// before it is in a sealed part file.
func (t *table) seal() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sealLocked()
}

func (t *table) sealLocked() error {
	if t.err != nil || t.cur == nil {
		return t.err
	}
	p := t.cur
	t.cur = nil
	err := p.w.Close()
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p.path+tmpExt, p.path)
	}
	if err == nil && t.afterSeal != nil {
		err = t.afterSeal()
	}
	if err != nil {
		t.err = fmt.Errorf("%s: sealing %s: %w", t.name, filepath.Base(p.path), err)
	}
	return t.err
}

// close seals the open part and merges the parts into the table's final
// file.
func (t *table) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.sealLocked(); err != nil {
		return err
	}
	t.err = fmt.Errorf("%s: %w", t.name, fs.ErrClosed)
	parts, err := listParts(t.dir, t.name)
	if err != nil {
		return err
	}
	return merge(t.dir, t.name, parts, t.partRows, t.opts)
}

// listParts lists a table's sealed parts in order.
func listParts(dir, table string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(globEscape(dir), globEscape(table)+partInfix+"*"+parquetExt))
	if err != nil {
		return nil, fmt.Errorf("%s parts: %w", table, err)
	}
	type numbered struct {
		n    int
		path string
	}
	parts := make([]numbered, 0, len(paths))
	for _, p := range paths {
		base := filepath.Base(p)
		digits := strings.TrimSuffix(strings.TrimPrefix(base, table+partInfix), parquetExt)
		n, err := strconv.Atoi(digits)
		if err != nil || n < 0 {
			continue // not one of ours
		}
		parts = append(parts, numbered{n, p})
	}
	slices.SortFunc(parts, func(a, b numbered) int { return a.n - b.n })
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.path
	}
	return out, nil
}

// globEscape escapes the glob metacharacters of a literal path.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// openParquet opens a Parquet file; the caller closes the *os.File.
func openParquet(path string, opts ...parquet.FileOption) (*os.File, *parquet.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil {
		var pf *parquet.File
		if pf, err = parquet.OpenFile(f, st.Size(), opts...); err == nil {
			return f, pf, nil
		}
	}
	f.Close()
	return nil, nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
