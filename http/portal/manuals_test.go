package portal

import (
	"html"
	"strings"
	"testing"
)

// TestDocumentiServesEachManualAsHTMLAndPDF: the index lists the three
// manuals; each manual's page answers 200 with its title and every section
// heading, to anyone; its PDF is an attachment starting with %PDF, at both
// of its addresses; an unknown manual is 404.
func TestDocumentiServesEachManualAsHTMLAndPDF(t *testing.T) {
	srv := newTestPortal(t, nil)
	b := newBrowser(t, srv)

	resp, body := b.get("/documenti")
	if resp.StatusCode != 200 {
		t.Fatalf("/documenti: %d", resp.StatusCode)
	}
	if len(manuals) != 3 {
		t.Fatalf("%d manuals, want the citizen's, the heir's and the worker's", len(manuals))
	}
	for _, m := range manuals {
		if !strings.Contains(body, `href="/documenti/`+m.Slug+`"`) || !strings.Contains(body, `href="/documenti/`+m.Slug+`.pdf"`) {
			t.Errorf("the index does not link the manual %s and its PDF", m.Slug)
		}

		resp, page := b.get("/documenti/" + m.Slug)
		if resp.StatusCode != 200 {
			t.Fatalf("/documenti/%s: %d", m.Slug, resp.StatusCode)
		}
		page = html.UnescapeString(page)
		if !strings.Contains(page, "<h1>"+m.Title+"</h1>") {
			t.Errorf("%s: no title %q", m.Slug, m.Title)
		}
		if len(m.Sections) < 4 {
			t.Errorf("%s: %d sections", m.Slug, len(m.Sections))
		}
		for _, s := range m.Sections {
			if !strings.Contains(page, `<h2 id="`+s.ID+`">`+s.Heading+"</h2>") {
				t.Errorf("%s: no section %q", m.Slug, s.Heading)
			}
			if len(s.Blocks) == 0 {
				t.Errorf("%s: section %q is empty", m.Slug, s.Heading)
			}
		}

		for _, path := range []string{"/documenti/" + m.Slug + ".pdf", "/documenti/" + m.Slug + "/pdf"} {
			resp, pdf := b.get(path)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF") {
				t.Errorf("%s: %d %q, want a PDF", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "manuale-"+m.Slug+".pdf") {
				t.Errorf("%s: Content-Disposition %q", path, cd)
			}
		}
	}

	for _, path := range []string{"/documenti/nessuno", "/documenti/nessuno.pdf", "/documenti/nessuno/pdf"} {
		if resp, _ := b.get(path); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// TestTheManualsSayWhatTheRulesAre: each manual carries the rules people
// most need, so a rewrite that drops one fails here.
func TestTheManualsSayWhatTheRulesAre(t *testing.T) {
	want := map[string][]string{
		"utilizzatore": {"giorno 3 del mese successivo", "pagoPA", "in accredito", "Operi per", "Revoca", "I miei recapiti", "SPID"},
		"erede":        {"testamento", "10 MB", "In attesa di validazione", "IBAN", "un solo rimborso", "Storico delle operazioni di questa pratica", "libretto del defunto"},
		"prestatore":   {"IBAN", "categoria", "75%", "Prospetto annuale dei compensi", "Prospetti paga mensili", "PDF", "Notifiche"},
	}
	for slug, phrases := range want {
		m, ok := manualBySlug(slug)
		if !ok {
			t.Fatalf("no manual %s", slug)
		}
		var all strings.Builder
		for _, s := range m.Sections {
			all.WriteString(s.Heading + "\n")
			for _, b := range s.Blocks {
				all.WriteString(b.Text + "\n" + strings.Join(b.Items, "\n") + "\n")
			}
		}
		for _, p := range phrases {
			if !strings.Contains(all.String(), p) {
				t.Errorf("manual %s does not say %q", slug, p)
			}
		}
	}
}
