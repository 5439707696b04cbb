package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/switchio/switchio/measure"
)

// Errors of the CDR's verdict columns.
var (
	// ErrUndeclaredVerdict is returned for a record with a verdict no
	// VerdictSpec declared: its column does not exist.
	ErrUndeclaredVerdict = errors.New("verdict not declared")
	// ErrVerdictKind is returned for a verdict value whose set field does
	// not match its VerdictSpec's Kind, and for a bad VerdictSpec.
	ErrVerdictKind = errors.New("verdict kind")
)

// VerdictPrefix starts the name of every verdict column.
const VerdictPrefix = "verdict_"

// verdictsKey is the Parquet key-value metadata key holding the CDR's
// verdict specs as JSON, so that a run read back knows their docs.
const verdictsKey = "switchio.verdicts"

var (
	// recordSchema is the schema of measure.Record's own columns: the CDR
	// schema's first recordColumns leaf columns.
	recordSchema  = parquet.SchemaOf(measure.Record{})
	recordColumns = len(recordSchema.Columns())
	secondSchema  = parquet.SchemaOf(measure.Second{})
	sysStatSchema = parquet.SchemaOf(measure.SysStat{})

	// dictColumns are the Record columns of few distinct values, written
	// with dictionary encoding: smaller files, faster group-bys.
	dictColumns = map[string]bool{
		"server": true, "callee_server": true, "app": true, "destination": true,
		"outcome": true, "hangup_by": true, "hangup_cause": true, "sip_term_status": true,
	}

	verdictName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// cdrSchema is the schema of one run's cdr.parquet: measure.Record's
// columns in its field order, then one optional verdict_<name> column per
// declared verdict.
type cdrSchema struct {
	schema   *parquet.Schema
	verdicts []measure.VerdictSpec
	// column maps a verdict's name to its index in verdicts.
	column map[string]int
}

// newCDRSchema builds the CDR schema for the verdicts declared by a run's
// apps. A name declared twice with one kind is one column; with two kinds
// it is an error, as is a name that is not snake_case.
func newCDRSchema(specs []measure.VerdictSpec) (*cdrSchema, error) {
	c := &cdrSchema{column: make(map[string]int)}
	for _, s := range specs {
		if !verdictName.MatchString(s.Name) {
			return nil, fmt.Errorf("verdict %q: name is not snake_case: %w", s.Name, ErrVerdictKind)
		}
		if goTypeOfKind(s.Kind) == nil {
			return nil, fmt.Errorf("verdict %q: unknown kind %d: %w", s.Name, s.Kind, ErrVerdictKind)
		}
		if i, ok := c.column[s.Name]; ok {
			if c.verdicts[i].Kind != s.Kind {
				return nil, fmt.Errorf("verdict %q declared with kinds %d and %d: %w", s.Name, c.verdicts[i].Kind, s.Kind, ErrVerdictKind)
			}
			continue
		}
		c.column[s.Name] = len(c.verdicts)
		c.verdicts = append(c.verdicts, s)
	}

	// The schema is that of a struct made at run time: Record's fields
	// with their tags, then one pointer field per verdict. parquet-go
	// keeps a struct's field order (a parquet.Group would sort columns by
	// name), so Record's columns keep their indexes.
	rt := reflect.TypeFor[measure.Record]()
	fields := make([]reflect.StructField, 0, rt.NumField()+len(c.verdicts))
	for i := range rt.NumField() {
		f := rt.Field(i)
		tag := f.Tag
		if name, _, _ := strings.Cut(tag.Get("parquet"), ","); dictColumns[name] {
			tag = reflect.StructTag(strings.Replace(string(tag), `parquet:"`+name, `parquet:"`+name+",dict", 1))
		}
		fields = append(fields, reflect.StructField{Name: f.Name, Type: f.Type, Tag: tag})
	}
	for i, s := range c.verdicts {
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("Verdict%d", i),
			Type: goTypeOfKind(s.Kind),
			Tag:  reflect.StructTag(`parquet:"` + VerdictPrefix + s.Name + `,optional"`),
		})
	}
	c.schema = parquet.SchemaOf(reflect.Zero(reflect.StructOf(fields)).Interface())
	if !slices.EqualFunc(c.schema.Columns()[:recordColumns], recordSchema.Columns(), slices.Equal) {
		return nil, errors.New("cdr schema: record columns moved") // a parquet-go change
	}
	return c, nil
}

// goTypeOfKind is the Go type of a verdict column of kind k, nil for an
// unknown kind.
func goTypeOfKind(k measure.Kind) reflect.Type {
	switch k {
	case measure.KindBool:
		return reflect.TypeFor[*bool]()
	case measure.KindInt:
		return reflect.TypeFor[*int64]()
	case measure.KindFloat:
		return reflect.TypeFor[*float64]()
	case measure.KindString:
		return reflect.TypeFor[*string]()
	}
	return nil
}

// metadata is the verdict specs as stored in the file's key-value
// metadata.
func (c *cdrSchema) metadata() string {
	b, _ := json.Marshal(c.verdicts) // strings and integers: cannot fail
	return string(b)
}

// row appends r's values to dst (a row of the CDR schema). It fails, and
// r is not written, when r has a verdict that was not declared or whose
// value does not match its kind.
func (c *cdrSchema) row(dst parquet.Row, r *measure.Record) (parquet.Row, error) {
	for name := range r.Verdicts {
		if _, ok := c.column[name]; !ok {
			return dst, fmt.Errorf("record %s: verdict %q: %w", r.CallID, name, ErrUndeclaredVerdict)
		}
	}
	dst = recordSchema.Deconstruct(dst, r)
	for i, s := range c.verdicts {
		v, err := verdictValue(s, r.Verdicts[s.Name])
		if err != nil {
			return dst, fmt.Errorf("record %s: %w", r.CallID, err)
		}
		def := 1
		if v.IsNull() {
			def = 0
		}
		dst = append(dst, v.Level(0, def, recordColumns+i))
	}
	return dst, nil
}

// verdictValue is v as a Parquet value, null when no field is set.
func verdictValue(s measure.VerdictSpec, v measure.Value) (parquet.Value, error) {
	set := 0
	for _, p := range []bool{v.Bool != nil, v.Int != nil, v.Float != nil, v.String != nil} {
		if p {
			set++
		}
	}
	if set == 0 {
		return parquet.NullValue(), nil
	}
	switch {
	case set == 1 && s.Kind == measure.KindBool && v.Bool != nil:
		return parquet.BooleanValue(*v.Bool), nil
	case set == 1 && s.Kind == measure.KindInt && v.Int != nil:
		return parquet.Int64Value(*v.Int), nil
	case set == 1 && s.Kind == measure.KindFloat && v.Float != nil:
		return parquet.DoubleValue(*v.Float), nil
	case set == 1 && s.Kind == measure.KindString && v.String != nil:
		return parquet.ByteArrayValue([]byte(*v.String)), nil
	}
	return parquet.Value{}, fmt.Errorf("verdict %q: value does not hold one value of kind %d: %w", s.Name, s.Kind, ErrVerdictKind)
}

// record is the measure.Record held by row, a row of the CDR schema.
func (c *cdrSchema) record(row parquet.Row) (measure.Record, error) {
	var r measure.Record
	cut := len(row)
	for i, v := range row {
		if v.Column() >= recordColumns {
			cut = i
			break
		}
	}
	if err := recordSchema.Reconstruct(&r, row[:cut]); err != nil {
		return r, fmt.Errorf("cdr row: %w", err)
	}
	for _, v := range row[cut:] {
		if v.IsNull() {
			continue
		}
		s := c.verdicts[v.Column()-recordColumns]
		var val measure.Value
		switch s.Kind {
		case measure.KindBool:
			b := v.Boolean()
			val.Bool = &b
		case measure.KindInt:
			n := v.Int64()
			val.Int = &n
		case measure.KindFloat:
			f := v.Double()
			val.Float = &f
		case measure.KindString:
			str := string(v.ByteArray())
			val.String = &str
		}
		if r.Verdicts == nil {
			r.Verdicts = make(map[string]measure.Value, len(c.verdicts))
		}
		r.Verdicts[s.Name] = val
	}
	return r, nil
}

// verdictsOf recovers the verdict specs of a CDR file: from its metadata
// when present, else from its verdict_* columns (without their docs).
func verdictsOf(f *parquet.File) ([]measure.VerdictSpec, error) {
	if md, ok := f.Lookup(verdictsKey); ok {
		var specs []measure.VerdictSpec
		if err := json.Unmarshal([]byte(md), &specs); err != nil {
			return nil, fmt.Errorf("%s metadata: %w", verdictsKey, err)
		}
		return specs, nil
	}
	var specs []measure.VerdictSpec
	for _, field := range f.Schema().Fields() {
		name, ok := strings.CutPrefix(field.Name(), VerdictPrefix)
		if !ok || name == "" || !field.Leaf() {
			continue
		}
		var k measure.Kind
		switch field.Type().Kind() {
		case parquet.Boolean:
			k = measure.KindBool
		case parquet.Int64, parquet.Int32:
			k = measure.KindInt
		case parquet.Double, parquet.Float:
			k = measure.KindFloat
		case parquet.ByteArray:
			k = measure.KindString
		default:
			continue
		}
		specs = append(specs, measure.VerdictSpec{Name: name, Kind: k})
	}
	return specs, nil
}
