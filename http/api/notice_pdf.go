package api

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/projections"
)

// NoticeQRPNG is the QR code of a notice as an 8-bit grayscale PNG of size
// pixels, quiet zone included: its content is domain.NoticeQR, what a
// payment app reads (SPEC §9).
func NoticeQRPNG(n projections.Notice, size int) ([]byte, error) {
	q, err := qrcode.New(domain.NoticeQR(n.NoticeNumber, n.AmountCents), qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("api: notice qr: %w", err)
	}
	src := q.Image(size)
	gray := image.NewGray(src.Bounds())
	draw.Draw(gray, gray.Bounds(), src, src.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, gray); err != nil {
		return nil, fmt.Errorf("api: notice qr png: %w", err)
	}
	return buf.Bytes(), nil
}

// NoticePDF renders a pagoPA payment notice (avviso di pagamento) to print
// or to pay from a banking app: payee INPS with its codice fiscale, the
// booklet's owner, the amount, the expiry date, the notice number grouped as
// on real notices, the IUV and the QR code. now is the date of issue printed.
// Page streams are not compressed, so the text can be searched.
func NoticePDF(n projections.Notice, now time.Time) ([]byte, error) {
	number, err := domain.ParseNoticeNumber(n.NoticeNumber, "")
	if err != nil {
		return nil, fmt.Errorf("api: notice pdf: %w", err)
	}
	qr, err := NoticeQRPNG(n, 256)
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetTitle("Avviso di pagamento pagoPA "+number.Grouped(), true)
	pdf.SetAuthor("INPS - Libretto Famiglia", true)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 10, tr("Avviso di pagamento pagoPA"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.CellFormat(0, 6, tr("Ricarica del Libretto Famiglia (art. 54-bis D.L. 50/2017)"), "", 1, "L", false, 0, "")
	pdf.Ln(4)

	field := func(label, value string, bold bool) {
		pdf.SetFont("Helvetica", "", 10)
		pdf.CellFormat(55, 8, tr(label), "", 0, "L", false, 0, "")
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 12)
		pdf.CellFormat(0, 8, tr(value), "", 1, "L", false, 0, "")
	}
	field("Ente creditore", "INPS - Istituto Nazionale della Previdenza Sociale", true)
	field("Codice fiscale ente", domain.PayeeCF, false)
	field("Destinatario", n.UserCF, false)
	field("Oggetto", "Versamento sul Libretto Famiglia", false)
	field("Importo", domain.Euro(n.AmountCents), true)
	field("Da pagare entro il", dateIT(n.ExpiresOn), true)
	field("Codice avviso", number.Grouped(), true)
	field("Codice IUV", number.IUV(), false)
	field("Data di emissione", dateIT(n.IssuedOn), false)
	pdf.Ln(4)

	y := pdf.GetY()
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	pdf.ImageOptions("qr", 15, y, 50, 50, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetXY(70, y+4)
	pdf.SetFont("Helvetica", "", 9)
	pdf.MultiCell(0, 5, tr("Paga con l'app della tua banca o di un altro prestatore di servizi di pagamento (PSP) "+
		"inquadrando il codice QR, oppure presso uno sportello indicando il codice avviso e il codice fiscale dell'ente. "+
		"L'importo è accreditato sul libretto appena il pagamento è registrato. Dopo la scadenza l'avviso non può essere pagato: "+
		"creane uno nuovo dal portale."), "", "L", false)
	if pdf.Err() {
		return nil, fmt.Errorf("api: render notice pdf: %w", pdf.Error())
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("api: render notice pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// dateIT is a civil date YYYY-MM-DD as DD/MM/YYYY (as it is if malformed).
func dateIT(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}
