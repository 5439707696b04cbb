package script

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// referenced returns the names Reference mentions, without the receiver
// ("s.answer()" -> "s.answer"), each prefixed as written.
func referenced() map[string]bool {
	out := map[string]bool{}
	word := regexp.MustCompile(`(?:(s|ev|call)\.)?([a-z_]+)(\(|$|,| )`)
	for _, e := range Reference() {
		for _, part := range strings.Split(e.Name, ", ") {
			if m := word.FindStringSubmatch(part); m != nil {
				out[strings.TrimSuffix(m[1]+"."+m[2], ".")] = true
				if m[1] == "" {
					out[m[2]] = true
				}
			}
		}
	}
	return out
}

// Every function a script is handed and every attribute of s, ev and
// s.call is in Reference: a new one without its line fails here.
func TestReferenceCoversTheAPI(t *testing.T) {
	ref := referenced()
	var missing []string
	for name := range (&loader{}).predeclared() {
		if !ref[name] {
			missing = append(missing, name+"()")
		}
	}
	for prefix, names := range map[string][]string{
		"s":    (&sessionValue{}).AttrNames(),
		"ev":   (&eventValue{}).AttrNames(),
		"call": (&callValue{}).AttrNames(),
	} {
		for _, n := range names {
			if !ref[prefix+"."+n] {
				missing = append(missing, prefix+"."+n)
			}
		}
	}
	if len(missing) > 0 {
		t.Fatalf("not in script.Reference (so not in docs/apps.md): %v", missing)
	}
}

// docs/apps.md holds ReferenceMarkdown between its markers.
func TestReferenceInDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/apps.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- reference: generated from script.Reference -->\n", "<!-- /reference -->"
	_, rest, ok := strings.Cut(string(doc), begin)
	got, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("docs/apps.md has no %q ... %q section", begin, end)
	}
	if want := ReferenceMarkdown(); got != want {
		t.Fatalf("docs/apps.md's reference is stale; between its markers it should read:\n%s", want)
	}
}
