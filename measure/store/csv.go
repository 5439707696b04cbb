package store

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// CSVFile is the name of the CDR's CSV copy.
const CSVFile = "calls.csv"

// csvTime is the layout of calls.csv's times: RFC 3339, UTC, microseconds.
const csvTime = "2006-01-02T15:04:05.000000Z"

// csvWriter writes CDR rows to calls.csv (RFC 4180, "\n" line ends):
// one column per leaf column of the CDR schema, named by its path joined
// with "_", null as an empty field. It formats into one reused line
// buffer: no allocation per row.
type csvWriter struct {
	f      *os.File
	buf    *bufio.Writer
	format []func([]byte, parquet.Value) []byte
	line   []byte
}

// newCSVWriter creates path and writes its header.
func newCSVWriter(path string, schema *parquet.Schema) (*csvWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	c := &csvWriter{f: f, buf: bufio.NewWriterSize(f, 64<<10)}
	for i, path := range schema.Columns() {
		leaf, _ := schema.Lookup(path...)
		c.format = append(c.format, csvFormat(leaf.Node.Type()))
		if i > 0 {
			c.line = append(c.line, ',')
		}
		c.line = appendCSVField(c.line, []byte(strings.Join(path, "_")))
	}
	c.line = append(c.line, '\n')
	if _, err := c.buf.Write(c.line); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// csvFormat is how calls.csv writes a value of type t.
func csvFormat(t parquet.Type) func([]byte, parquet.Value) []byte {
	if lt := t.LogicalType(); lt != nil {
		if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
			unit := ts.Unit.Value.Duration()
			return func(dst []byte, v parquet.Value) []byte {
				var tm time.Time
				switch n := v.Int64(); unit {
				case time.Millisecond:
					tm = time.UnixMilli(n)
				case time.Microsecond:
					tm = time.UnixMicro(n)
				default:
					tm = time.Unix(0, n*int64(unit))
				}
				return appendTime(dst, tm.UTC())
			}
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(dst []byte, v parquet.Value) []byte { return strconv.AppendBool(dst, v.Boolean()) }
	case parquet.Int32:
		return func(dst []byte, v parquet.Value) []byte { return strconv.AppendInt(dst, int64(v.Int32()), 10) }
	case parquet.Int64:
		return func(dst []byte, v parquet.Value) []byte { return strconv.AppendInt(dst, v.Int64(), 10) }
	case parquet.Float:
		return func(dst []byte, v parquet.Value) []byte { return appendFloat(dst, float64(v.Float()), 32) }
	case parquet.Double:
		return func(dst []byte, v parquet.Value) []byte { return appendFloat(dst, v.Double(), 64) }
	default:
		return func(dst []byte, v parquet.Value) []byte { return appendCSVField(dst, v.ByteArray()) }
	}
}

// appendTime appends t (UTC) as csvTime lays it out, without
// time.AppendFormat's layout parsing: a row has over a dozen times.
func appendTime(dst []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		return t.AppendFormat(dst, csvTime)
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendDigits(dst, y, 4)
	dst = appendDigits(append(dst, '-'), int(mo), 2)
	dst = appendDigits(append(dst, '-'), d, 2)
	dst = appendDigits(append(dst, 'T'), h, 2)
	dst = appendDigits(append(dst, ':'), mi, 2)
	dst = appendDigits(append(dst, ':'), s, 2)
	dst = appendDigits(append(dst, '.'), t.Nanosecond()/1000, 6)
	return append(dst, 'Z')
}

// appendDigits appends n (≥ 0) zero-padded to width digits.
func appendDigits(dst []byte, n, width int) []byte {
	var b [8]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, b[:width]...)
}

// appendFloat writes f without an exponent, which every spreadsheet
// reads.
func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.AppendFloat(dst, f, 'g', -1, bits)
	}
	return strconv.AppendFloat(dst, f, 'f', -1, bits)
}

// appendCSVField appends a text field, quoted when it holds a comma, a
// quote or a line break or starts with a space (as encoding/csv does).
func appendCSVField(dst, field []byte) []byte {
	if len(field) == 0 || (field[0] != ' ' && field[0] != '\t' && bytes.IndexAny(field, ",\"\r\n") < 0) {
		return append(dst, field...)
	}
	dst = append(dst, '"')
	for _, b := range field {
		if b == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, b)
	}
	return append(dst, '"')
}

// write writes one CDR row (one value per column, in column order).
func (c *csvWriter) write(row parquet.Row) error {
	if len(row) != len(c.format) {
		return fmt.Errorf("%s: a row of %d values for %d columns", CSVFile, len(row), len(c.format))
	}
	c.line = c.line[:0]
	for i, v := range row {
		if i > 0 {
			c.line = append(c.line, ',')
		}
		if !v.IsNull() {
			c.line = c.format[i](c.line, v)
		}
	}
	c.line = append(c.line, '\n')
	_, err := c.buf.Write(c.line)
	return err
}

// flush writes the buffered rows to the file.
func (c *csvWriter) flush() error {
	if err := c.buf.Flush(); err != nil {
		return fmt.Errorf("%s: %w", CSVFile, err)
	}
	return nil
}

// close flushes, syncs and closes the file.
func (c *csvWriter) close() error {
	err := c.flush()
	if err == nil {
		err = c.f.Sync()
	}
	if cerr := c.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: %w", CSVFile, cerr)
	}
	return err
}
