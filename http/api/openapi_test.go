package api_test

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"
	"gopkg.in/yaml.v3"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/http/api"
)

// This file checks real responses against docs/openapi.yaml with a small
// validator for the subset of OpenAPI 3.1 / JSON Schema 2020-12 the document
// uses: $ref, type (with "null"), properties, required,
// additionalProperties, items, enum, const, oneOf, anyOf, allOf, minimum,
// format date and date-time. Every stack records its responses and checks
// them when its test ends, so the document cannot drift from the code.

const specPath = "../../docs/openapi.yaml"

var (
	specOnce sync.Once
	spec     map[string]any
	specErr  error
)

func loadSpec() (map[string]any, error) {
	specOnce.Do(func() {
		b, err := os.ReadFile(specPath)
		if err != nil {
			specErr = err
			return
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			specErr = fmt.Errorf("parse %s: %w", specPath, err)
			return
		}
		spec = doc
	})
	return spec, specErr
}

type recorded struct {
	method, path, contentType string
	status                    int
	body                      []byte
}

// recorder keeps the responses a test saw.
type recorder struct {
	mu   sync.Mutex
	seen []recorded
}

// exercised holds "METHOD template status" for every response checked,
// across tests.
var exercised sync.Map

func (r *recorder) add(method, path string, status int, ct string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, recorded{method: method, path: path, contentType: ct, status: status, body: body})
}

// check validates every response recorded and forgets them.
func (r *recorder) check(t testing.TB) {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	r.mu.Lock()
	seen := r.seen
	r.seen = nil
	r.mu.Unlock()
	for _, rec := range seen {
		tmpl, err := validateResponse(doc, rec)
		if err != nil {
			t.Errorf("openapi: %s %s → %d: %v\n%s", rec.method, rec.path, rec.status, err, truncate(rec.body))
		}
		exercised.Store(fmt.Sprintf("%s %s %d", rec.method, tmpl, rec.status), true)
	}
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func validateResponse(doc map[string]any, rec recorded) (string, error) {
	u, err := url.Parse(rec.path)
	if err != nil {
		return "", err
	}
	tmpl, item := matchPath(doc, u.Path)
	if item == nil && rec.status == 404 {
		// An unknown route: documented nowhere, answered with a problem.
		var v any
		if err := json.Unmarshal(rec.body, &v); err != nil {
			return "", err
		}
		return "(unknown)", validate(doc, map[string]any{"$ref": "#/components/schemas/Problem"}, numbers(v), "$")
	}
	if item == nil {
		return "", fmt.Errorf("no path in the document matches %s", u.Path)
	}
	op, _ := item[strings.ToLower(rec.method)].(map[string]any)
	if op == nil {
		return tmpl, fmt.Errorf("%s has no %s operation", tmpl, rec.method)
	}
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(rec.status)]
	if !ok {
		return tmpl, fmt.Errorf("status %d is not documented for %s %s", rec.status, rec.method, tmpl)
	}
	respObj, err := resolve(doc, resp)
	if err != nil {
		return tmpl, err
	}
	content, _ := respObj["content"].(map[string]any)
	mt := strings.TrimSpace(strings.Split(rec.contentType, ";")[0])
	if len(content) == 0 {
		if len(rec.body) > 0 {
			return tmpl, fmt.Errorf("a body was sent but none is documented")
		}
		return tmpl, nil
	}
	media, ok := content[mt].(map[string]any)
	if !ok {
		return tmpl, fmt.Errorf("content type %q is not documented (have %v)", mt, keys(content))
	}
	if !strings.Contains(mt, "json") {
		return tmpl, nil
	}
	schema, ok := media["schema"]
	if !ok {
		return tmpl, nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(rec.body)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return tmpl, fmt.Errorf("body is not JSON: %v", err)
	}
	return tmpl, validate(doc, schema, v, "$")
}

// numbers turns float64s into json.Numbers, as the validator expects.
func numbers(v any) any {
	switch x := v.(type) {
	case float64:
		return json.Number(strconv.FormatFloat(x, 'f', -1, 64))
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// matchPath finds the path template for p, preferring literal segments.
func matchPath(doc map[string]any, p string) (string, map[string]any) {
	paths, _ := doc["paths"].(map[string]any)
	segs := strings.Split(strings.Trim(p, "/"), "/")
	best, bestScore := "", -1
	for tmpl := range paths {
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		score := 0
		ok := true
		for i, t := range ts {
			if strings.HasPrefix(t, "{") {
				continue
			}
			if t != segs[i] {
				ok = false
				break
			}
			score++
		}
		if ok && score > bestScore {
			best, bestScore = tmpl, score
		}
	}
	if best == "" {
		return "", nil
	}
	item, _ := paths[best].(map[string]any)
	return best, item
}

func resolve(doc map[string]any, node any) (map[string]any, error) {
	m, ok := node.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object: %v", node)
	}
	for i := 0; i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[part]
		}
		next, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("unresolvable $ref %s", ref)
		}
		m = next
	}
	return nil, fmt.Errorf("$ref chain too long")
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func validate(doc map[string]any, schemaNode any, v any, at string) error {
	if b, ok := schemaNode.(bool); ok {
		if !b {
			return fmt.Errorf("%s: not allowed", at)
		}
		return nil
	}
	s, err := resolve(doc, schemaNode)
	if err != nil {
		return fmt.Errorf("%s: %v", at, err)
	}
	for _, sub := range list(s["allOf"]) {
		if err := validate(doc, sub, v, at); err != nil {
			return err
		}
	}
	if alts := list(s["oneOf"]); len(alts) > 0 {
		n := 0
		var errs []string
		for _, sub := range alts {
			if err := validate(doc, sub, v, at); err == nil {
				n++
			} else {
				errs = append(errs, err.Error())
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf (want 1): %s", at, n, strings.Join(errs, "; "))
		}
	}
	if alts := list(s["anyOf"]); len(alts) > 0 {
		var errs []string
		matched := false
		for _, sub := range alts {
			if err := validate(doc, sub, v, at); err == nil {
				matched = true
				break
			} else {
				errs = append(errs, err.Error())
			}
		}
		if !matched {
			return fmt.Errorf("%s: matches none of anyOf: %s", at, strings.Join(errs, "; "))
		}
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		return fmt.Errorf("%s: %v is not the constant %v", at, v, c)
	}
	if enum := list(s["enum"]); len(enum) > 0 {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s: %v is not one of %v", at, v, enum)
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch tt := t.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, x := range tt {
				types = append(types, fmt.Sprint(x))
			}
		}
		matched := false
		for _, typ := range types {
			if hasType(v, typ) {
				matched = true
			}
		}
		if !matched {
			return fmt.Errorf("%s: %s is not of type %v", at, describe(v), types)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, req := range list(s["required"]) {
			if _, ok := x[fmt.Sprint(req)]; !ok {
				return fmt.Errorf("%s: required property %q is missing", at, req)
			}
		}
		for k, val := range x {
			if ps, ok := props[k]; ok {
				if err := validate(doc, ps, val, at+"."+k); err != nil {
					return err
				}
				continue
			}
			if ap, ok := s["additionalProperties"]; ok {
				if err := validate(doc, ap, val, at+"."+k); err != nil {
					return fmt.Errorf("%s: property %q: %v", at, k, err)
				}
			}
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, e := range x {
				if err := validate(doc, items, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	case json.Number:
		if min, ok := s["minimum"]; ok {
			f, _ := x.Float64()
			if m, _ := strconv.ParseFloat(fmt.Sprint(min), 64); f < m {
				return fmt.Errorf("%s: %v is below the minimum %v", at, x, min)
			}
		}
	case string:
		switch s["format"] {
		case "date":
			if !dateRE.MatchString(x) {
				return fmt.Errorf("%s: %q is not a date", at, x)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, x)
			}
		}
	}
	return nil
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func hasType(v any, typ string) bool {
	switch typ {
	case "null":
		return v == nil
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && f == math.Trunc(f)
	}
	return false
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%v", v)
}

// TestOpenAPIDocumentsEveryRoute walks the router: every route and method
// it serves under /api/v1 is in the document, and every documented
// operation is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	h := commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	srv, err := api.New(api.Config{Commands: h, Queries: noQueries{}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := doc["paths"].(map[string]any)
	documented := map[string]string{} // template with anonymous parameters → as written
	for p := range paths {
		documented[anyParam(p)] = p
	}
	served := map[string]bool{}
	err = chi.Walk(srv.Routes(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if !strings.HasPrefix(route, api.Prefix+"/") {
			return nil
		}
		p := strings.TrimPrefix(route, api.Prefix)
		op := strings.ToLower(method)
		served[op+" "+anyParam(p)] = true
		item, _ := paths[documented[anyParam(p)]].(map[string]any)
		if _, ok := item[op]; !ok {
			t.Errorf("%s %s is served but not documented", method, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, item := range paths {
		for op := range item.(map[string]any) {
			switch op {
			case "get", "post", "put", "patch", "delete":
				if !served[op+" "+anyParam(p)] {
					t.Errorf("%s %s is documented but not served", strings.ToUpper(op), p)
				}
			}
		}
	}
}

var paramRE = regexp.MustCompile(`\{[^}]*\}`)

// anyParam forgets path parameters' names: /a/{id} and /a/{claim_id} match.
func anyParam(p string) string { return paramRE.ReplaceAllString(p, "{}") }
