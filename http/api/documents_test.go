package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"net/http"
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/http/api"
)

// amnesic is a document store that has lost every document: the events
// still reference a will whose bytes are gone.
type amnesic struct{ commands.Documents }

func (amnesic) Get(_ context.Context, sha256Hex string) (string, []byte, error) {
	return "", nil, fmt.Errorf("document %s: %w", sha256Hex, fs.ErrNotExist)
}

// registerWill registers a testamentary claim with content as its will on a
// new deceased and returns the response.
func registerWill(s *stack, heirTok, filename string, content []byte) *response {
	s.t.Helper()
	w := newWorld(s.t, s, 0)
	return s.post("/heir-claims", heirTok, map[string]any{
		"deceased_cf": w.user, "date_of_death": "2026-03-06", "heir_kind": "testamentario",
		"will": map[string]any{"filename": filename, "content_base64": base64.StdEncoding.EncodeToString(content)},
	})
}

func TestAWillMustReallyBeAPDFOrAnImage(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 20, 20))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content []byte
		status  int
		code    string
	}{
		{"a web page behind a PDF header is invalid_document", []byte("%PDF-<html><script>alert(document.cookie)</script></html>"), 422, "invalid_document"},
		{"a PDF without its trailer is invalid_document", []byte("%PDF-1.4\n1 0 obj << >> endobj\n"), 422, "invalid_document"},
		{"a PNG signature over garbage is invalid_document", []byte("\x89PNG\r\n\x1a\n<script>alert(1)</script>"), 422, "invalid_document"},
		{"a PDF with header and trailer is accepted", []byte(testWillPDF), 201, ""},
		{"a PNG that decodes is accepted", img.Bytes(), 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := registerWill(s, s.token(s.cf()), "x.html", tt.content)
			if tt.code != "" {
				r.problem(tt.status, tt.code)
				return
			}
			r.want(tt.status)
		})
	}
}

// testWillPDF is a minimal well-formed PDF.
const testWillPDF = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\nstartxref\n0\n%%EOF\n"

func TestAWillIsServedAsAnAttachmentUnderAGeneratedName(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	heirTok := s.token(s.cf())
	c := registerWill(s, heirTok, `x.html"; evil=".pdf`, []byte(testWillPDF)).want(http.StatusCreated)
	id := c.str("claim_id")
	for _, tok := range []string{heirTok, s.operator(), s.auditor()} {
		got := s.get("/heir-claims/"+id+"/will?"+c.pos(), tok).want(http.StatusOK)
		want := map[string]string{
			"Content-Type":            "application/pdf",
			"Content-Disposition":     `attachment; filename="testamento-` + id + `.pdf"`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox",
		}
		for h, v := range want {
			if got.header.Get(h) != v {
				t.Errorf("%s: %q, want %q", h, got.header.Get(h), v)
			}
		}
		if got.raw == nil || string(got.raw) != testWillPDF {
			t.Errorf("body %q", got.raw)
		}
	}
}

func TestAMissingWillIs404(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, func(c *api.Config) {
		c.ReadWait = 30e9
		c.Documents = amnesic{c.Documents}
	})
	heirTok := s.token(s.cf())
	w := newWorld(t, s, 0)
	legit := s.post("/heir-claims", heirTok, map[string]any{"deceased_cf": w.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo"}).want(http.StatusCreated)
	s.get("/heir-claims/"+legit.str("claim_id")+"/will?"+legit.pos(), heirTok).problem(http.StatusNotFound, "not_found")
	lost := registerWill(s, heirTok, "t.pdf", []byte(testWillPDF)).want(http.StatusCreated)
	s.get("/heir-claims/"+lost.str("claim_id")+"/will?"+lost.pos(), s.operator()).problem(http.StatusNotFound, "not_found")
}
