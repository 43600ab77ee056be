package api

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/inps/libretto/projections"
)

var mesi = [...]string{"", "Gennaio", "Febbraio", "Marzo", "Aprile", "Maggio", "Giugno",
	"Luglio", "Agosto", "Settembre", "Ottobre", "Novembre", "Dicembre"}

// StatementPDF renders a worker's annual pay statement (prospetto annuale dei
// compensi) with Italian labels: totals, a table per user (committente, with
// the heir flag) and a table per month. now is the instant printed as the
// date of issue.
func StatementPDF(st projections.Statement, now time.Time) ([]byte, error) {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetTitle(fmt.Sprintf("Prospetto annuale dei compensi %d - %s", st.Year, st.WorkerCF), true)
	pdf.SetAuthor("INPS - Libretto Famiglia", true)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 9, tr("Prospetto annuale dei compensi"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.CellFormat(0, 6, tr("Libretto Famiglia (art. 54-bis D.L. 50/2017)"), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, tr(fmt.Sprintf("Prestatore: %s", st.WorkerCF)), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, tr(fmt.Sprintf("Anno di pagamento: %d", st.Year)), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, tr("Data di emissione: "+now.Format("02/01/2006")), "", 1, "L", false, 0, "")
	pdf.Ln(3)

	figures := []string{"Prestazioni", "Ore", "Titoli", "Lordo", "Netto", "IVS", "INAIL", "Oneri", "Pagato"}
	figureW := []float64{22, 16, 16, 26, 26, 24, 22, 22, 26}

	header := func(first string, firstW float64, extra string, extraW float64) {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.SetFillColor(225, 232, 240)
		pdf.CellFormat(firstW, 7, tr(first), "1", 0, "L", true, 0, "")
		if extra != "" {
			pdf.CellFormat(extraW, 7, tr(extra), "1", 0, "C", true, 0, "")
		}
		for i, h := range figures {
			pdf.CellFormat(figureW[i], 7, tr(h), "1", 0, "R", true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 9)
	}
	row := func(first string, firstW float64, extra string, extraW float64, hasExtra bool, f projections.StatementFigures) {
		pdf.CellFormat(firstW, 6, tr(first), "1", 0, "L", false, 0, "")
		if hasExtra {
			pdf.CellFormat(extraW, 6, tr(extra), "1", 0, "C", false, 0, "")
		}
		for i, v := range figureCells(f) {
			pdf.CellFormat(figureW[i], 6, tr(v), "1", 0, "R", false, 0, "")
		}
		pdf.Ln(-1)
	}
	section := func(title string) {
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "B", 12)
		pdf.CellFormat(0, 8, tr(title), "", 1, "L", false, 0, "")
	}

	section("Totali")
	header("", 60, "", 0)
	pdf.SetFont("Helvetica", "B", 9)
	row("Totali", 60, "", 0, false, st.Totals)

	section("Per committente")
	header("Committente", 40, "Inserito da erede", 30)
	for _, u := range st.ByUser {
		flag := "no"
		if u.InsertedByHeir {
			flag = "sì - inserito da erede"
		}
		row(u.UserCF, 40, flag, 30, true, u.StatementFigures)
	}
	if len(st.ByUser) == 0 {
		pdf.CellFormat(0, 6, tr("Nessun compenso pagato nell'anno."), "", 1, "L", false, 0, "")
	}

	section("Per mese di pagamento")
	header("Mese", 60, "", 0)
	for _, m := range st.ByMonth {
		name := strconv.Itoa(m.Month)
		if m.Month >= 1 && m.Month <= 12 {
			name = mesi[m.Month]
		}
		row(name, 60, "", 0, false, m.StatementFigures)
	}

	pdf.Ln(4)
	pdf.SetFont("Helvetica", "I", 8)
	pdf.MultiCell(0, 4, tr("Importi in euro. Lordo = valore nominale dei titoli (10,00 € l'uno); Netto = compenso al prestatore (8,00 € per titolo); "+
		"IVS = contribuzione alla Gestione Separata; INAIL = premio assicurativo; Oneri = commissioni trattenute (bonifico domiciliato). "+
		"Le prestazioni segnate \"inserito da erede\" sono state comunicate da un erede del committente deceduto."), "", "L", false)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("api: render statement pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func figureCells(f projections.StatementFigures) []string {
	return []string{
		strconv.Itoa(f.Services),
		strings.Replace(strconv.FormatFloat(f.Hours, 'f', -1, 64), ".", ",", 1),
		strconv.Itoa(f.Vouchers),
		euro(f.GrossCents), euro(f.NetCents), euro(f.IVSCents), euro(f.INAILCents), euro(f.FeesCents), euro(f.PaidCents),
	}
}

// euro formats cents the Italian way: 1.234,56 €.
func euro(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	units := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, ch := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(ch)
	}
	return fmt.Sprintf("%s%s,%02d €", sign, b.String(), cents%100)
}
