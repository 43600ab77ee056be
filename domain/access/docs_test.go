package access_test

import (
	"os"
	"strings"
	"testing"

	"github.com/inps/libretto/domain/access"
)

// TestTheDocsShowTheTable checks that docs/architecture.md's "Who may do
// what" is the table as the code has it; on a difference it prints the
// block to paste.
func TestTheDocsShowTheTable(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- access table: begin -->\n", "<!-- access table: end -->"
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("docs/architecture.md has no %q … %q block", begin, end)
	}
	want := markdown()
	if got := doc[i+len(begin) : j]; got != want {
		t.Errorf("docs/architecture.md's table differs from the code's; paste:\n%s", want)
	}
}

// markdown renders the table: one row per action, one column per role; a
// cell says in which relations the role may act, "any" for every one, and
// "—" for none (403); a delegate's cell names the delegation's scope.
func markdown() string {
	roles := []access.Role{access.Citizen, access.Operator, access.Auditor, access.System}
	var b strings.Builder
	b.WriteString("| action | citizen | operator | auditor | system |\n| --- | --- | --- | --- | --- |\n")
	for _, a := range access.Actions() {
		b.WriteString("| `" + string(a) + "` |")
		for _, r := range roles {
			cell := "—"
			rels := access.RelationsFor(a, r)
			switch {
			case access.Public(a):
				cell = "anyone, no token"
			case len(rels) == len(access.Relations):
				cell = "any"
			case len(rels) > 0:
				names := make([]string, len(rels))
				for i, rel := range rels {
					names[i] = string(rel)
					if scope, ok := access.ScopeOf(a); ok && rel == access.Delegate {
						names[i] += " (" + string(scope) + ")"
					}
				}
				cell = strings.Join(names, ", ")
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
