package api_test

import (
	"bytes"
	"compress/zlib"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestAWorkerPaidInTwoRunsOfAMonthReadsOnePayslip is issue 17's "done when"
// for payslips, through the API as a client would: a worker without IBAN
// paid by two payroll runs of March reads one March payslip with two
// payments whose totals match the annual statement; the PDF says the same;
// someone else gets 404 and a malformed month 400.
func TestAWorkerPaidInTwoRunsOfAMonthReadsOnePayslip(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 20000)
	worker := s.cf() // no IBAN: bonifico domiciliato, 2,60 € withheld per run
	workerTok := s.token(worker)
	s.post("/workers", workerTok, map[string]any{"category": "altro"}).want(http.StatusCreated)

	first := service(worker, 3, 3)
	s.post("/services", w.userTok, first).want(http.StatusCreated)
	run1 := s.post("/backoffice/payroll-runs", s.operator(), map[string]any{"run_date": "2026-03-05"}).want(http.StatusCreated)
	second := service(worker, 2, 1.5)
	second["start_date"], second["end_date"] = "2026-03-06", "2026-03-09"
	s.post("/services", w.userTok, second).want(http.StatusCreated)
	run2 := s.post("/backoffice/payroll-runs", s.operator(), map[string]any{"run_date": "2026-03-10"}).want(http.StatusCreated)
	if run1.num("paid_cents") != 2400-260 || run2.num("paid_cents") != 1600-260 {
		t.Fatalf("runs paid %d and %d", run1.num("paid_cents"), run2.num("paid_cents"))
	}

	p := s.get("/workers/"+worker+"/payslips/2026-03?"+run2.pos(), workerTok).want(http.StatusOK)
	if p.str("worker_cf") != worker || p.str("month") != "2026-03" {
		t.Fatalf("payslip %s", p.raw)
	}
	payments := p.list("payments")
	if len(payments) != 2 {
		t.Fatalf("%d payments, want 2: %s", len(payments), p.raw)
	}
	for i, want := range []struct {
		run, on             string
		vouchers, net, paid float64
	}{{run1.str("run_id"), "2026-03-05", 3, 2400, 2140}, {run2.str("run_id"), "2026-03-10", 2, 1600, 1340}} {
		got := payments[i].(map[string]any)
		if got["run_id"] != want.run || got["paid_on"] != want.on || got["user_cf"] != w.user || got["services"] != float64(1) ||
			got["vouchers"] != want.vouchers || got["net_cents"] != want.net || got["fee_cents"] != float64(260) || got["paid_cents"] != want.paid {
			t.Errorf("payment %d: %v, want %+v", i, got, want)
		}
	}
	totals := p.obj("totals")
	st := s.get("/workers/"+worker+"/statements/2026", workerTok).want(http.StatusOK).obj("totals")
	for payslip, statement := range map[string]string{"services": "services", "vouchers": "vouchers", "net_cents": "net_cents",
		"ivs_cents": "ivs_cents", "inail_cents": "inail_cents", "fee_cents": "fees_cents", "paid_cents": "paid_cents"} {
		if totals[payslip] != st[statement] {
			t.Errorf("payslip's %s %v, statement's %s %v", payslip, totals[payslip], statement, st[statement])
		}
	}
	if totals["paid_cents"] != float64(3480) || totals["fee_cents"] != float64(520) {
		t.Errorf("totals %v", totals)
	}

	// Operators and auditors read it; another citizen learns nothing, not
	// even from a malformed month.
	s.get("/workers/"+worker+"/payslips/2026-03", s.operator()).want(http.StatusOK)
	s.get("/workers/"+worker+"/payslips/2026-03", s.auditor()).want(http.StatusOK)
	stranger := s.token(s.cf())
	s.get("/workers/"+worker+"/payslips/2026-03", stranger).problem(http.StatusNotFound, "not_found")
	s.get("/workers/"+worker+"/payslips/2026-3", stranger).problem(http.StatusNotFound, "not_found")
	for _, bad := range []string{"2026-3", "2026-13", "2026-00", "marzo", "2026-03-01", "26-03"} {
		s.get("/workers/"+worker+"/payslips/"+bad, workerTok).problem(http.StatusBadRequest, "invalid_month")
	}
	// A registered worker's month without payments is an empty payslip; a
	// CF that never registered as a worker is unknown.
	empty := s.get("/workers/"+worker+"/payslips/2026-02", workerTok).want(http.StatusOK)
	if len(empty.list("payments")) != 0 || empty.obj("totals")["paid_cents"] != float64(0) {
		t.Errorf("empty month %s", empty.raw)
	}
	s.get("/workers/"+s.cf()+"/payslips/2026-03", s.operator()).problem(http.StatusNotFound, "not_found")

	pdf := s.get("/workers/"+worker+"/payslips/2026-03", workerTok, "Accept", "application/pdf").want(http.StatusOK)
	if ct := pdf.header.Get("Content-Type"); ct != "application/pdf" {
		t.Fatalf("content type %q", ct)
	}
	text := pdfText(t, pdf.raw)
	for _, want := range []string{"Prospetto paga mensile", "Marzo 2026", worker, w.user, run1.str("run_id"), run2.str("run_id"),
		"05/03/2026", "10/03/2026", "21,40 €", "13,40 €", "2,60 €", "5,20 €", "34,80 €", "40,00 €"} {
		if !strings.Contains(text, want) {
			t.Errorf("the payslip PDF lacks %q:\n%s", want, text)
		}
	}
}

var (
	pdfStream    = regexp.MustCompile(`<<([^>]*)>>\s*stream\r?\n`)
	pdfLength    = regexp.MustCompile(`/Length (\d+)`)
	pdfStartXref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	pdfShown     = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`)
)

// pdfText reads the text a PDF shows, without tools outside Go: it checks
// the file's frame (header, startxref pointing at the xref table, %%EOF),
// inflates every Flate stream (a corrupt one fails the test) and returns
// the strings of their Tj operators, one per line, decoded from the
// WinAnsi encoding of the core fonts. Enough for the documents fpdf writes.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) {
		t.Fatalf("not a PDF: %q…", pdf[:min(len(pdf), 16)])
	}
	m := pdfStartXref.FindSubmatch(pdf)
	if m == nil {
		t.Fatal("the PDF has no startxref and EOF marker at its end")
	}
	if at, err := strconv.Atoi(string(m[1])); err != nil || at >= len(pdf) || !bytes.HasPrefix(pdf[at:], []byte("xref")) {
		t.Fatalf("startxref %s does not point at the xref table", m[1])
	}
	var text strings.Builder
	for _, loc := range pdfStream.FindAllSubmatchIndex(pdf, -1) {
		dict := pdf[loc[2]:loc[3]]
		l := pdfLength.FindSubmatch(dict)
		if l == nil {
			continue
		}
		n, _ := strconv.Atoi(string(l[1]))
		if loc[1]+n > len(pdf) || !bytes.HasPrefix(bytes.TrimLeft(pdf[loc[1]+n:], "\r\n"), []byte("endstream")) {
			t.Fatalf("a stream's /Length %d does not end at endstream", n)
		}
		data := pdf[loc[1] : loc[1]+n]
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("a Flate stream does not inflate: %v", err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("a Flate stream does not inflate: %v", err)
			}
		}
		for _, s := range pdfShown.FindAllSubmatch(data, -1) {
			text.WriteString(winAnsi(unescapePDF(s[1])))
			text.WriteByte('\n')
		}
	}
	return text.String()
}

// unescapePDF decodes a PDF literal string's backslash escapes.
func unescapePDF(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		switch c := b[i]; {
		case c == 'n':
			out = append(out, '\n')
		case c == 'r':
			out = append(out, '\r')
		case c == 't':
			out = append(out, '\t')
		case c >= '0' && c <= '7':
			v, j := 0, i
			for ; j < len(b) && j < i+3 && b[j] >= '0' && b[j] <= '7'; j++ {
				v = v*8 + int(b[j]-'0')
			}
			out = append(out, byte(v))
			i = j - 1
		default:
			out = append(out, c)
		}
	}
	return out
}

// winAnsi decodes the bytes the core fonts show: Latin-1, and 0x80 is €.
func winAnsi(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0x80 {
			s.WriteRune('€')
		} else {
			s.WriteRune(rune(c))
		}
	}
	return s.String()
}
