package api

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/projections"
)

var mesi = [...]string{"", "Gennaio", "Febbraio", "Marzo", "Aprile", "Maggio", "Giugno",
	"Luglio", "Agosto", "Settembre", "Ottobre", "Novembre", "Dicembre"}

// document is the layout the worker's prospetti share (annual statement,
// monthly payslip): landscape A4, a heading block, sections of bordered
// tables with a shaded header row, and a closing note.
type document struct {
	pdf *fpdf.Fpdf
	tr  func(string) string
}

// column is a table column: its header, width in mm and alignment
// ("L", "C", "R").
type column struct {
	title string
	width float64
	align string
}

// newDocument starts a document titled title ("title subject" in its
// metadata) with the heading lines under it; now is the date of issue.
func newDocument(title, subject string, now time.Time, lines ...string) *document {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetTitle(title+" "+subject, true)
	pdf.SetAuthor("INPS - Libretto Famiglia", true)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	d := &document{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor("")}
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 9, d.tr(title), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.CellFormat(0, 6, d.tr("Libretto Famiglia (art. 54-bis D.L. 50/2017)"), "", 1, "L", false, 0, "")
	for _, l := range append(lines, "Data di emissione: "+now.Format("02/01/2006")) {
		pdf.CellFormat(0, 6, d.tr(l), "", 1, "L", false, 0, "")
	}
	pdf.Ln(3)
	return d
}

func (d *document) section(title string) {
	d.pdf.Ln(3)
	d.pdf.SetFont("Helvetica", "B", 12)
	d.pdf.CellFormat(0, 8, d.tr(title), "", 1, "L", false, 0, "")
}

func (d *document) header(cols []column) {
	d.pdf.SetFont("Helvetica", "B", 9)
	d.pdf.SetFillColor(225, 232, 240)
	for _, c := range cols {
		d.pdf.CellFormat(c.width, 7, d.tr(c.title), "1", 0, c.align, true, 0, "")
	}
	d.pdf.Ln(-1)
	d.pdf.SetFont("Helvetica", "", 9)
}

// row writes one table row, bold for totals.
func (d *document) row(cols []column, cells []string, bold bool) {
	if bold {
		d.pdf.SetFont("Helvetica", "B", 9)
		defer d.pdf.SetFont("Helvetica", "", 9)
	}
	for i, c := range cols {
		d.pdf.CellFormat(c.width, 6, d.tr(cells[i]), "1", 0, c.align, false, 0, "")
	}
	d.pdf.Ln(-1)
}

// line writes a line of text, for an empty table.
func (d *document) line(text string) {
	d.pdf.CellFormat(0, 6, d.tr(text), "", 1, "L", false, 0, "")
}

// note writes the closing note in small italics.
func (d *document) note(text string) {
	d.pdf.Ln(4)
	d.pdf.SetFont("Helvetica", "I", 8)
	d.pdf.MultiCell(0, 4, d.tr(text), "", "L", false)
}

func (d *document) bytes(what string) ([]byte, error) {
	var buf bytes.Buffer
	if err := d.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("api: render %s pdf: %w", what, err)
	}
	return buf.Bytes(), nil
}

// figuresNote explains the figures' columns, in both documents.
const figuresNote = "Importi in euro. Lordo = valore nominale dei titoli (10,00 € l'uno); Netto = compenso al prestatore (8,00 € per titolo); " +
	"IVS = contribuzione alla Gestione Separata; INAIL = premio assicurativo; Oneri = commissioni trattenute (bonifico domiciliato)."

// StatementPDF renders a worker's annual pay statement (prospetto annuale dei
// compensi) with Italian labels: totals, a table per user (committente, with
// the heir flag) and a table per month. now is the instant printed as the
// date of issue.
func StatementPDF(st projections.Statement, now time.Time) ([]byte, error) {
	d := newDocument("Prospetto annuale dei compensi", fmt.Sprintf("%d - %s", st.Year, st.WorkerCF), now,
		fmt.Sprintf("Prestatore: %s", st.WorkerCF), fmt.Sprintf("Anno di pagamento: %d", st.Year))

	figures := []column{{"Prestazioni", 22, "R"}, {"Ore", 16, "R"}, {"Titoli", 16, "R"}, {"Lordo", 26, "R"}, {"Netto", 26, "R"},
		{"IVS", 24, "R"}, {"INAIL", 22, "R"}, {"Oneri", 22, "R"}, {"Pagato", 26, "R"}}
	with := func(first ...column) []column { return append(first, figures...) }

	d.section("Totali")
	totals := with(column{"", 60, "L"})
	d.header(totals)
	d.row(totals, append([]string{"Totali"}, figureCells(st.Totals)...), true)

	d.section("Per committente")
	users := with(column{"Committente", 40, "L"}, column{"Inserito da erede", 30, "C"})
	d.header(users)
	for _, u := range st.ByUser {
		flag := "no"
		if u.InsertedByHeir {
			flag = "sì - inserito da erede"
		}
		d.row(users, append([]string{u.UserCF, flag}, figureCells(u.StatementFigures)...), false)
	}
	if len(st.ByUser) == 0 {
		d.line("Nessun compenso pagato nell'anno.")
	}

	d.section("Per mese di pagamento")
	months := with(column{"Mese", 60, "L"})
	d.header(months)
	for _, m := range st.ByMonth {
		name := strconv.Itoa(m.Month)
		if m.Month >= 1 && m.Month <= 12 {
			name = mesi[m.Month]
		}
		d.row(months, append([]string{name}, figureCells(m.StatementFigures)...), false)
	}

	d.note(figuresNote + " Le prestazioni segnate \"inserito da erede\" sono state comunicate da un erede del committente deceduto.")
	return d.bytes("statement")
}

// PayslipPDF renders a worker's monthly payslip (prospetto paga mensile) in
// the statement's layout: totals, then one row per payment (payroll run and
// committente). now is the instant printed as the date of issue.
func PayslipPDF(p projections.Payslip, now time.Time) ([]byte, error) {
	d := newDocument("Prospetto paga mensile", p.Month+" - "+p.WorkerCF, now,
		fmt.Sprintf("Prestatore: %s", p.WorkerCF), "Mese di pagamento: "+monthName(p.Month))

	figures := []column{{"Prestazioni", 22, "R"}, {"Titoli", 16, "R"}, {"Netto", 25, "R"},
		{"IVS", 22, "R"}, {"INAIL", 20, "R"}, {"Oneri", 20, "R"}, {"Pagato", 25, "R"}}

	d.section("Totali")
	totals := append([]column{{"", 60, "L"}}, figures...)
	d.header(totals)
	d.row(totals, append([]string{"Totali"}, payslipCells(p.Totals)...), true)

	d.section("Pagamenti")
	payments := append([]column{{"Data", 22, "L"}, {"Pagamento (lotto)", 66, "L"}, {"Committente", 39, "L"}}, figures...)
	d.header(payments)
	for _, r := range p.Payments {
		d.row(payments, append([]string{domain.ItalianDate(r.PaidOn), r.RunID, r.UserCF}, payslipCells(r.PayslipFigures)...), false)
	}
	if len(p.Payments) == 0 {
		d.line("Nessun compenso pagato nel mese.")
	}

	d.note(figuresNote + " La commissione del bonifico domiciliato è trattenuta una volta per pagamento ed è indicata " +
		"sulla riga del committente con il compenso netto più alto di quel pagamento, come nel prospetto annuale.")
	return d.bytes("payslip")
}

func figureCells(f projections.StatementFigures) []string {
	return []string{
		strconv.Itoa(f.Services),
		strings.Replace(strconv.FormatFloat(f.Hours, 'f', -1, 64), ".", ",", 1),
		strconv.Itoa(f.Vouchers),
		domain.Euro(f.GrossCents), domain.Euro(f.NetCents), domain.Euro(f.IVSCents), domain.Euro(f.INAILCents), domain.Euro(f.FeesCents), domain.Euro(f.PaidCents),
	}
}

func payslipCells(f projections.PayslipFigures) []string {
	return []string{
		strconv.Itoa(f.Services), strconv.Itoa(f.Vouchers),
		domain.Euro(f.NetCents), domain.Euro(f.IVSCents), domain.Euro(f.INAILCents), domain.Euro(f.FeeCents), domain.Euro(f.PaidCents),
	}
}

// monthName is "Marzo 2026" for "2026-03".
func monthName(month string) string {
	if t, err := time.Parse("2006-01", month); err == nil {
		return mesi[t.Month()] + " " + strconv.Itoa(t.Year())
	}
	return month
}
