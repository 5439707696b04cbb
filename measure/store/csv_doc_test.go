package store

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// update rewrites docs/calls-csv.md from the schema (go generate, or
// go test ./measure/store -run TestCallsCSVDoc -update).
var update = flag.Bool("update", false, "rewrite docs/calls-csv.md from the CDR schema")

const (
	callsCSVDoc = "../../docs/calls-csv.md"
	recordGo    = "../record.go"
	readme      = "../../README.md"
)

// The calls.csv column list in the docs is the CDR schema's, with the
// doc comments of measure.Record: it is generated from them, and this
// test fails when either changes without the other (-update rewrites it).
func TestCallsCSVDoc(t *testing.T) {
	want, err := callsCSVMarkdown()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(callsCSVDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(callsCSVDoc)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/calls-csv.md is not the schema's column list: run go generate ./measure/store (go test -run TestCallsCSVDoc -update)")
	}
}

// Every column name the README quotes where it speaks of calls.csv is a
// column of calls.csv.
func TestReadmeCallsCSVColumns(t *testing.T) {
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]bool{}
	for _, c := range csvColumns() {
		cols[c.name] = true
	}
	quoted := regexp.MustCompile("`([a-z][a-z0-9_]*)`")
	seen := 0
	for _, para := range sentences(string(b)) {
		if !strings.Contains(para, CSVFile) {
			continue
		}
		for _, m := range quoted.FindAllStringSubmatch(para, -1) {
			seen++
			if !cols[m[1]] {
				t.Errorf("README quotes %q next to %s: no such column", m[1], CSVFile)
			}
		}
	}
	if seen == 0 {
		t.Errorf("README names no %s column: the check checks nothing", CSVFile)
	}
}

// sentences splits markdown into sentences: at blank lines, list items,
// the entries of an indented block (a line indented by four spaces and no
// more) and full stops.
func sentences(md string) []string {
	var lines []string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "    ") && len(l) > 4 && l[4] != ' ' || strings.HasPrefix(l, "- ") || strings.TrimSpace(l) == "" {
			lines = append(lines, "\x00")
		}
		lines = append(lines, l)
	}
	return regexp.MustCompile(`\x00|\.\s`).Split(strings.Join(lines, "\n"), -1)
}

// csvColumn is one calls.csv column: its name (the leaf path joined with
// "_", as the CSV writer names it), type and the Go field it comes from.
type csvColumn struct {
	name, kind string
	nullable   bool
	field      []string // Record field names along the path
}

// csvColumns lists calls.csv's columns from the CDR schema (without
// verdict columns, which depend on the run's apps).
func csvColumns() []csvColumn {
	var out []csvColumn
	for _, path := range recordSchema.Columns() {
		leaf, _ := recordSchema.Lookup(path...)
		out = append(out, csvColumn{
			name: strings.Join(path, "_"), kind: csvKind(leaf.Node.Type()),
			nullable: leaf.MaxDefinitionLevel > 0, field: goFields(path),
		})
	}
	return out
}

// csvKind is how a column's values read in calls.csv.
func csvKind(t parquet.Type) string {
	if lt := t.LogicalType(); lt != nil {
		if _, ok := lt.Value.(*format.TimestampType); ok {
			return "time (RFC 3339, UTC, µs)"
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return "true/false"
	case parquet.Int32, parquet.Int64:
		return "integer"
	case parquet.Float, parquet.Double:
		return "number"
	}
	return "text"
}

// goFields maps a column's path to the names of the Go fields it comes
// from (Record, then RTP).
func goFields(path []string) []string {
	var out []string
	rt := recordSchema.GoType()
	for _, p := range path {
		for rt.Kind() == reflect.Pointer {
			rt = rt.Elem()
		}
		for i := range rt.NumField() {
			f := rt.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("parquet"), ","); name == p {
				out = append(out, f.Name)
				rt = f.Type
				break
			}
		}
	}
	return out
}

// fieldDocs reads the doc comments of the fields of the structs in
// measure/record.go, by struct and field name: a field without its own comment right after one
// that has one (no blank line between) shares it.
func fieldDocs() (map[string]map[string]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, recordGo, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("reading the record's docs: %w", err)
	}
	fields := map[string]map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, sp := range g.Specs {
			ts, ok := sp.(*ast.TypeSpec)
			if !ok {
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			m := map[string]string{}
			doc, lastLine := "", -1
			for _, fl := range st.Fields.List {
				line := fset.Position(fl.Pos()).Line
				switch {
				case fl.Doc != nil:
					doc = oneLine(fl.Doc.Text())
				case line != lastLine+1:
					doc = ""
				}
				lastLine = fset.Position(fl.End()).Line
				for _, n := range fl.Names {
					m[n.Name] = doc
				}
			}
			fields[ts.Name.Name] = m
		}
	}
	return fields, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// callsCSVMarkdown is docs/calls-csv.md.
func callsCSVMarkdown() (string, error) {
	fields, err := fieldDocs()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`# calls.csv columns

<!-- Generated from the CDR schema (measure.Record) by
     go generate ./measure/store; TestCallsCSVDoc fails when it is stale. -->

` + "`calls.csv`" + ` (in ` + "`--out DIR`" + `) is ` + "`cdr.parquet`" + ` for spreadsheets: one row per
offered call (one per call seen, for ` + "`switchio serve`" + `), one column per leaf
column of the CDR, named by its path joined with ` + "`_`" + `. An empty cell is
null (unknown, or not reached). Times are RFC 3339 in UTC with
microseconds, each on the clock its meaning names (see
[metrics.md](metrics.md) for the figures computed from them). After these
columns come the run's verdict columns, ` + "`verdict_<name>`" + `, one per verdict
its apps declare.

| Column | Type | May be empty | Meaning |
|---|---|---|---|
`)
	prev := ""
	for _, c := range csvColumns() {
		doc := ""
		switch len(c.field) {
		case 1:
			doc = fields["Record"][c.field[0]]
		case 2:
			// a leg's RTP figure: the figure's doc, for the leg
			if d := fields["RTP"][c.field[1]]; d != "" {
				leg := map[string]string{"CallerRTP": "A leg (caller)", "CalleeRTP": "B leg (callee)"}[c.field[0]]
				doc = d + " On the " + leg + ", at hang-up."
			}
		}
		if doc == "" {
			return "", fmt.Errorf("column %s (%s): no doc comment", c.name, strings.Join(c.field, "."))
		}
		shown := doc
		if doc == prev {
			shown = "(as above)"
		}
		prev = doc
		empty := ""
		if c.nullable {
			empty = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.name, c.kind, empty, strings.ReplaceAll(shown, "|", `\|`))
	}
	return b.String(), nil
}
