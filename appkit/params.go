package appkit

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Param is an app parameter settable from text: an exported field of the
// app's struct, named by its `param:"name"` tag or its lower-cased field
// name. A tag of "-" hides a field.
type Param struct {
	Name  string
	Type  string
	Field string
	// Help is the field's `help:"..."` tag: what the parameter does.
	Help string
	// Default is the registered prototype's value, as text ("" when
	// the zero value).
	Default string
}

// paramsOf lists a struct's parameters: its settable exported fields and
// those of its embedded structs (shared parameters of a family of apps),
// in field order.
func paramsOf(t reflect.Type) ([]Param, error) {
	var ps []Param
	if err := collectParams(t, map[string]bool{}, &ps); err != nil {
		return nil, err
	}
	return ps, nil
}

func collectParams(t reflect.Type, seen map[string]bool, ps *[]Param) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("param")
		if name == "-" {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			if err := collectParams(f.Type, seen, ps); err != nil {
				return err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			r := []rune(f.Name)
			r[0] = unicode.ToLower(r[0])
			name = string(r)
		}
		if !settable(f.Type) {
			if f.Tag.Get("param") != "" {
				return fmt.Errorf("param %q: unsupported type %s", name, f.Type)
			}
			continue
		}
		if seen[name] {
			return fmt.Errorf("param %q declared twice", name)
		}
		seen[name] = true
		*ps = append(*ps, Param{Name: name, Type: typeName(f.Type), Field: f.Name, Help: f.Tag.Get("help")})
	}
	return nil
}

var durationType = reflect.TypeOf(time.Duration(0))

func settable(t reflect.Type) bool {
	if t == durationType {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Float64, reflect.Float32:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}

func typeName(t reflect.Type) string {
	if t == durationType {
		return "duration"
	}
	if t.Kind() == reflect.Slice {
		return "list"
	}
	return t.Kind().String()
}

// defaultText renders a prototype's field value for listings ("" for
// the zero value).
func defaultText(v reflect.Value) string {
	if v.IsZero() {
		return ""
	}
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = v.Index(i).String()
		}
		return strings.Join(parts, "|")
	}
	return fmt.Sprint(v.Interface())
}

// ParamError reports a bad app parameter.
type ParamError struct {
	Key, Value string
	Msg        string
}

func (e *ParamError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("parameter %q: %s", e.Key, e.Msg)
	}
	return fmt.Sprintf("parameter %q=%q: %s", e.Key, e.Value, e.Msg)
}

// SetParams sets an app's parameters from "key=value,key=value" (lists are
// separated by '|'). Unknown or repeated keys, values that do not parse,
// NaN and infinite numbers and negative durations are errors naming the
// key.
func SetParams(app any, text string) error {
	v := reflect.ValueOf(app)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("appkit: parameters need a pointer to a struct, got %T", app)
	}
	params, err := paramsOf(v.Elem().Type())
	if err != nil {
		return err
	}
	byName := map[string]Param{}
	for _, p := range params {
		byName[p.Name] = p
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(text, ",") {
		key, value, ok := strings.Cut(kv, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return &ParamError{Key: kv, Msg: "expected key=value"}
		}
		if seen[key] {
			// "freq=440,freq=880": which one was meant cannot be known.
			return &ParamError{Key: key, Msg: "given twice"}
		}
		seen[key] = true
		p, ok := byName[key]
		if !ok {
			var known []string
			for k := range byName {
				known = append(known, k)
			}
			sort.Strings(known)
			return &ParamError{Key: key, Msg: "unknown parameter (known: " + strings.Join(known, ", ") + ")"}
		}
		if err := setField(v.Elem().FieldByName(p.Field), strings.TrimSpace(value)); err != nil {
			return &ParamError{Key: key, Value: value, Msg: err.Error()}
		}
	}
	return nil
}

func setField(f reflect.Value, s string) error {
	if f.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			secs, err2 := strconv.ParseFloat(s, 64)
			if err2 != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > float64(math.MaxInt64)/float64(time.Second) {
				return fmt.Errorf("not a duration (e.g. 2s, 500ms, or seconds)")
			}
			d = time.Duration(secs * float64(time.Second))
		}
		if d < 0 {
			return fmt.Errorf("negative duration")
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not a boolean")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(s, 10, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		n, err := strconv.ParseUint(s, 10, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("not a non-negative integer")
		}
		f.SetUint(n)
	case reflect.Float64, reflect.Float32:
		x, err := strconv.ParseFloat(s, f.Type().Bits())
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("not a finite number")
		}
		f.SetFloat(x)
	case reflect.Slice:
		var parts []string
		if s != "" {
			parts = strings.Split(s, "|")
		}
		f.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}
