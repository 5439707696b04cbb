package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/google/go-cmp/cmp"

	"github.com/switchio/switchio/measure"
)

// The tests of this file read what the writer wrote with a second Parquet
// implementation, arrow-go's, as pandas (pyarrow) and DuckDB would.

// arrowFile is a Parquet file read whole by arrow-go.
type arrowFile struct {
	table arrow.Table
	meta  *schema.Schema
}

func readArrow(t *testing.T, path string) arrowFile {
	t.Helper()
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("arrow: open %s: %v", path, err)
	}
	t.Cleanup(func() { rdr.Close() })
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("arrow: %v", err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("arrow: read %s: %v", path, err)
	}
	t.Cleanup(tbl.Release)
	return arrowFile{table: tbl, meta: rdr.MetaData().Schema}
}

// column is a column of f by its dotted path ("caller_rtp.mos"): its type
// and values, nil for null (also where a parent struct is null).
func (f arrowFile) column(t *testing.T, path string) (arrow.DataType, []any) {
	t.Helper()
	names := strings.Split(path, ".")
	idx := f.table.Schema().FieldIndices(names[0])
	if len(idx) != 1 {
		t.Fatalf("arrow: no column %q in %v", names[0], f.table.Schema())
	}
	arr, err := array.Concatenate(f.table.Column(idx[0]).Data().Chunks(), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer arr.Release()
	null := make([]bool, arr.Len())
	for _, name := range names[1:] {
		st, ok := arr.(*array.Struct)
		if !ok {
			t.Fatalf("arrow: %s is %s, not a struct", path, arr.DataType())
		}
		for i := range null {
			null[i] = null[i] || st.IsNull(i)
		}
		j, ok := st.DataType().(*arrow.StructType).FieldIdx(name)
		if !ok {
			t.Fatalf("arrow: no field %q in %s", name, st.DataType())
		}
		arr = st.Field(j)
	}
	vals := make([]any, arr.Len())
	for i := range vals {
		if null[i] || arr.IsNull(i) {
			continue
		}
		switch a := arr.(type) {
		case *array.String:
			vals[i] = a.Value(i)
		case *array.Int64:
			vals[i] = a.Value(i)
		case *array.Int32:
			vals[i] = a.Value(i)
		case *array.Float64:
			vals[i] = a.Value(i)
		case *array.Boolean:
			vals[i] = a.Value(i)
		case *array.Timestamp:
			vals[i] = time.UnixMicro(int64(a.Value(i))).UTC()
		case *array.Map:
			m := map[string]int64{}
			keys, items := a.Keys().(*array.String), a.Items().(*array.Int64)
			start, end := a.ValueOffsets(i)
			for k := start; k < end; k++ {
				m[keys.Value(int(k))] = items.Value(int(k))
			}
			vals[i] = m
		default:
			t.Fatalf("arrow: %s: unexpected array %T", path, arr)
		}
	}
	return arr.DataType(), vals
}

var tsUTC = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// expectedColumns walks a row struct's parquet tags: each leaf column's
// dotted path, arrow type and value in v (nil for null: a zero time, a nil
// pointer or struct, an optional zero value), as parquet-go's documented
// tag rules and the Parquet-to-Arrow mapping say.
func expectedColumns(v reflect.Value, prefix string, null bool, add func(path string, typ arrow.DataType, val any)) {
	for i := range v.NumField() {
		f := v.Type().Field(i)
		tag := f.Tag.Get("parquet")
		if tag == "-" || tag == "" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		optional := strings.Contains(opts, "optional")
		fv := v.Field(i)
		fnull := null || (optional && fv.IsZero())
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				fv = reflect.Zero(fv.Type().Elem())
			} else {
				fv = fv.Elem()
			}
		}
		var typ arrow.DataType
		var val any
		switch x := fv.Interface().(type) {
		case time.Time:
			typ, val = tsUTC, x.UTC()
		case string:
			typ, val = arrow.BinaryTypes.String, x
		case int64:
			typ, val = arrow.PrimitiveTypes.Int64, x
		case int32:
			typ, val = arrow.PrimitiveTypes.Int32, x
		case float64:
			typ, val = arrow.PrimitiveTypes.Float64, x
		case bool:
			typ, val = arrow.FixedWidthTypes.Boolean, x
		case map[string]int64:
			if x == nil {
				x = map[string]int64{} // an empty map, not null
			}
			m := arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
			m.SetItemNullable(false)
			typ, val = m, x
		default:
			if fv.Kind() == reflect.Struct {
				expectedColumns(fv, prefix+name+".", fnull, add)
				continue
			}
			typ, val = nil, x
		}
		if fnull {
			val = nil
		}
		add(prefix+name, typ, val)
	}
}

// checkColumns compares every column of want (rows of a row struct, or
// records with their verdicts) with what arrow reads in path.
func checkColumns[T any](t *testing.T, f arrowFile, rows []T, extra func(row T, add func(string, arrow.DataType, any))) {
	t.Helper()
	type column struct {
		typ  arrow.DataType
		vals []any
	}
	want := map[string]*column{}
	var order []string
	for _, row := range rows {
		add := func(path string, typ arrow.DataType, val any) {
			c, ok := want[path]
			if !ok {
				c = &column{typ: typ}
				want[path] = c
				order = append(order, path)
			}
			c.vals = append(c.vals, val)
		}
		expectedColumns(reflect.ValueOf(row), "", false, add)
		if extra != nil {
			extra(row, add)
		}
	}
	var top []string
	for _, p := range order {
		if name, _, _ := strings.Cut(p, "."); len(top) == 0 || top[len(top)-1] != name {
			top = append(top, name)
		}
	}
	var got []string
	for _, field := range f.table.Schema().Fields() {
		got = append(got, field.Name)
	}
	if diff := cmp.Diff(top, got); diff != "" {
		t.Errorf("arrow column names (-want +got):\n%s", diff)
	}
	for _, path := range order {
		c := want[path]
		typ, vals := f.column(t, path)
		if c.typ != nil && !arrow.TypeEqual(typ, c.typ) {
			t.Errorf("%s: arrow type %s, want %s", path, typ, c.typ)
		}
		if diff := cmp.Diff(c.vals, vals); diff != "" {
			t.Errorf("%s: values (-want +got):\n%s", path, diff)
		}
	}
}

// verdictColumns are a record's expected verdict columns.
func verdictColumns(r measure.Record, add func(string, arrow.DataType, any)) {
	for _, s := range testVerdicts {
		v := r.Verdicts[s.Name]
		var typ arrow.DataType
		var val any
		switch s.Kind {
		case measure.KindBool:
			typ = arrow.FixedWidthTypes.Boolean
			if v.Bool != nil {
				val = *v.Bool
			}
		case measure.KindInt:
			typ = arrow.PrimitiveTypes.Int64
			if v.Int != nil {
				val = *v.Int
			}
		case measure.KindFloat:
			typ = arrow.PrimitiveTypes.Float64
			if v.Float != nil {
				val = *v.Float
			}
		case measure.KindString:
			typ = arrow.BinaryTypes.String
			if v.String != nil {
				val = *v.String
			}
		}
		add(VerdictPrefix+s.Name, typ, val)
	}
}

// writeRun writes records, seconds and samples to a new run in dir and
// closes it.
func writeRun(t *testing.T, dir string, opts Options, recs []measure.Record, secs []measure.Second, stats []measure.SysStat) {
	t.Helper()
	w, err := Create(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.WriteRecord(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range secs {
		if err := w.WriteSecond(&secs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range stats {
		if err := w.WriteSysStat(&stats[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestArrowReadsCDR(t *testing.T) {
	for _, tc := range []struct {
		name     string
		partRows int // 0: one part, renamed at Close
	}{
		{"one part", 0},
		{"merged parts", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			recs := testRecords()
			writeRun(t, dir, Options{Verdicts: testVerdicts, FlushInterval: -1, PartRows: tc.partRows}, recs, nil, nil)
			f := readArrow(t, finalPath(dir, CDRTable))
			if got := f.table.NumRows(); got != int64(len(recs)) {
				t.Fatalf("arrow: %d rows, want %d", got, len(recs))
			}
			checkColumns(t, f, recs, verdictColumns)

			// The Parquet logical type of every time column.
			times := 0
			for i := range f.meta.NumColumns() {
				col := f.meta.Column(i)
				ts, ok := col.LogicalType().(schema.TimestampLogicalType)
				if !ok {
					continue
				}
				times++
				if !ts.IsAdjustedToUTC() || ts.TimeUnit() != schema.TimeUnitMicros {
					t.Errorf("%s: %s, want TIMESTAMP(MICROS, UTC)", col.Path(), ts)
				}
			}
			want := 0
			for f := range reflect.TypeFor[measure.Record]().Fields() {
				if f.Type == reflect.TypeFor[time.Time]() {
					want++
				}
			}
			if times != want || want == 0 {
				t.Errorf("%d timestamp columns, want %d (Record's time.Time fields)", times, want)
			}
		})
	}
}

func TestArrowReadsTimeSeriesAndSysStats(t *testing.T) {
	dir := t.TempDir()
	var secs []measure.Second
	var stats []measure.SysStat
	for i := range 5 {
		secs = append(secs, genSecond(i))
		stats = append(stats, genSysStats(i)...)
	}
	writeRun(t, dir, Options{FlushInterval: -1, PartRows: 3}, nil, secs, stats)

	checkColumns(t, readArrow(t, finalPath(dir, TimeSeriesTable)), secs, nil)
	checkColumns(t, readArrow(t, finalPath(dir, SysStatsTable)), stats, nil)
}
