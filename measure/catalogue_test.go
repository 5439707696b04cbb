package measure

import (
	"os"
	"strings"
	"testing"
)

// docs/metrics.md lists every metric of the catalogue, and no other.
func TestCatalogueDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	seen := map[string]bool{}
	for _, m := range Catalogue() {
		if seen[m.Name] {
			t.Errorf("metric %s listed twice", m.Name)
		}
		seen[m.Name] = true
		if !strings.Contains(doc, "| `"+m.Name+"` | "+m.Unit+" | "+m.Clock+" |") {
			t.Errorf("docs/metrics.md lacks %s (%s, %s)", m.Name, m.Unit, m.Clock)
		}
	}
	if n := strings.Count(doc, "\n| `"); n != len(Catalogue()) {
		t.Errorf("docs/metrics.md has %d metric rows, the catalogue %d", n, len(Catalogue()))
	}
}
