package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
)

// statusAllowed are the few literals outside domain/ that spell a status's
// word without meaning the status: file (from the module's root) → word.
var statusAllowed = map[string]map[string]string{
	// A key of the JSON state the audit replay prints: whether the
	// aggregate exists, not a claim's status.
	"cmd/libretto/audit.go": {"registered": "a key of the replayed state"},
	// A log attribute's key: the sessions whose role was withdrawn.
	"http/portal/session.go": {"withdrawn": "a log attribute's key"},
	// The outbox's delivery state of a message, the notifier's own
	// vocabulary, not a deposit's.
	"notify/notify.go": {"pending": "an outbox row's delivery state"},
}

// TestNoStatusLiteralOutsideTheDomain pins that the domain owns the
// vocabulary: no Go file outside domain/ (tests aside) and no portal
// template spells one of the domain's statuses; they name the domain's
// values instead. The statuses are found in domain/ itself — every
// XStatus{"…"} or XState{"…"} literal and every const of a type named
// Status or …State — so a new status is covered as soon as it exists.
func TestNoStatusLiteralOutsideTheDomain(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	statuses := domainStatuses(t, filepath.Join(root, "domain"))
	for _, s := range []string{"recorded", "paid", "approved", "registered", "pending", "open", "closed"} {
		if !statuses[s] {
			t.Fatalf("the domain's statuses as found miss %q: %v", s, statuses)
		}
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "domain" || strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		var found map[string][]int
		switch {
		case strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go"):
			found = goLiterals(t, path)
		case strings.HasPrefix(rel, "http/portal/templates/") && strings.HasSuffix(rel, ".html"):
			found = templateLiterals(t, path)
		default:
			return nil
		}
		checked++
		for lit, lines := range found {
			if statuses[lit] && statusAllowed[rel][lit] == "" {
				t.Errorf("%s:%v: %q is a status of the domain: name the domain's value (e.g. domain.ServicePaidState.String())", rel, lines, lit)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d files checked: the walk missed the tree", checked)
	}
}

// domainStatuses returns the names of the statuses declared under dir.
func domainStatuses(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	statusType := func(e ast.Expr) bool {
		id, ok := e.(*ast.Ident)
		return ok && (strings.HasSuffix(id.Name, "Status") || strings.HasSuffix(id.Name, "State"))
	}
	add := func(e ast.Expr) {
		if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
			if s, err := strconv.Unquote(b.Value); err == nil {
				out[s] = true
			}
		}
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if statusType(n.Type) && len(n.Elts) == 1 {
					add(n.Elts[0])
				}
			case *ast.ValueSpec:
				if n.Type != nil && statusType(n.Type) {
					for _, v := range n.Values {
						add(v)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// goLiterals returns a Go file's string literals with their lines.
func goLiterals(t *testing.T, path string) map[string][]int {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
			if s, err := strconv.Unquote(b.Value); err == nil {
				out[s] = append(out[s], fset.Position(b.Pos()).Line)
			}
		}
		return true
	})
	return out
}

// templateLiterals returns the string constants of a template's actions
// (not its HTML, where class="active" is no status) with their lines.
func templateLiterals(t *testing.T, path string) map[string][]int {
	t.Helper()
	src, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := parse.New(path)
	tr.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := tr.Parse(src, "{{", "}}", trees); err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	for _, tree := range trees {
		walkTemplate(tree.Root, func(s *parse.StringNode) {
			line := 1 + strings.Count(src[:s.Position()], "\n")
			out[s.Text] = append(out[s.Text], line)
		})
	}
	return out
}

func walkTemplate(n parse.Node, visit func(*parse.StringNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walkTemplate(c, visit)
			}
		}
	case *parse.ActionNode:
		walkTemplate(n.Pipe, visit)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				walkTemplate(c, visit)
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkTemplate(a, visit)
		}
	case *parse.IfNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.TemplateNode:
		walkTemplate(n.Pipe, visit)
	case *parse.StringNode:
		visit(n)
	}
}

func walkBranch(b *parse.BranchNode, visit func(*parse.StringNode)) {
	walkTemplate(b.Pipe, visit)
	walkTemplate(b.List, visit)
	walkTemplate(b.ElseList, visit)
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
