package portal

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// The "Documenti" section (SPEC §9): the user manual of each profile, in
// Italian, served as an HTML page and as a PDF. Each manual has one source,
// manuali/<slug>.txt, read once at start-up into a Manual that both the
// template and the PDF renderer walk. The format is the least that says
// what a manual needs:
//
//	# Title
//	> summary
//	## Section heading
//	A paragraph; consecutive lines join, a blank line ends it.
//	- an item of a list
//	![caption](file.png)
//
// An image is a screenshot of the portal in assets/manuali/, taken by the
// browser test TestManualScreenshotsInTheBrowser.
// Every page of the section is no one's data: anyone may read it.

//go:embed manuali/*.txt
var manualsFS embed.FS

// Manual is one profile's user manual.
type Manual struct {
	Slug     string // its path: /documenti/{slug}
	Profile  string // whom it is for, as the index names it
	Title    string
	Summary  string
	Sections []ManualSection
}

// ManualSection is a chapter of a manual: its heading and its blocks in order.
type ManualSection struct {
	ID      string // the anchor of its heading
	Heading string
	Blocks  []ManualBlock
}

// ManualBlock is a paragraph (Text), a bulleted list (Items) or a
// screenshot (Image, a file of assets/manuali/, with its caption in Text).
type ManualBlock struct {
	Text  string
	Items []string
	Image string
}

// manualImageDir is where the manuals' screenshots live, inside assets.
const manualImageDir = "assets/manuali/"

// manualOrder is the manuals of the index, in order, with the profile each is for.
var manualOrder = []struct{ slug, profile string }{
	{"utilizzatore", "Utilizzatore del Libretto Famiglia"},
	{"erede", "Erede di un titolare deceduto"},
	{"prestatore", "Prestatore"},
}

// manuals are parsed once; a malformed source stops the portal at start-up
// (and the tests).
var manuals = mustLoadManuals()

func mustLoadManuals() []Manual {
	out := make([]Manual, 0, len(manualOrder))
	for _, m := range manualOrder {
		src, err := manualsFS.ReadFile("manuali/" + m.slug + ".txt")
		if err != nil {
			panic(err)
		}
		man, err := parseManual(m.slug, src)
		if err != nil {
			panic(err)
		}
		man.Profile = m.profile
		out = append(out, man)
	}
	return out
}

func parseManual(slug string, src []byte) (Manual, error) {
	m := Manual{Slug: slug}
	var para []string
	flush := func() {
		if len(para) > 0 && len(m.Sections) > 0 {
			s := &m.Sections[len(m.Sections)-1]
			s.Blocks = append(s.Blocks, ManualBlock{Text: strings.Join(para, " ")})
		}
		para = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "## "):
			flush()
			h := strings.TrimSpace(line[3:])
			m.Sections = append(m.Sections, ManualSection{ID: fmt.Sprintf("sezione-%d", len(m.Sections)+1), Heading: h})
		case strings.HasPrefix(line, "# "):
			m.Title = strings.TrimSpace(line[2:])
		case strings.HasPrefix(line, "> "):
			m.Summary = strings.TrimSpace(line[2:])
		case strings.HasPrefix(line, "!["):
			flush()
			caption, file, ok := strings.Cut(strings.TrimPrefix(line, "!["), "](")
			if !ok || !strings.HasSuffix(file, ")") || len(m.Sections) == 0 {
				return m, fmt.Errorf("portal: manual %s line %d: an image is ![caption](file.png) inside a section", slug, n)
			}
			s := &m.Sections[len(m.Sections)-1]
			s.Blocks = append(s.Blocks, ManualBlock{Text: caption, Image: strings.TrimSuffix(file, ")")})
		case strings.HasPrefix(line, "- "):
			flush()
			if len(m.Sections) == 0 {
				return m, fmt.Errorf("portal: manual %s line %d: a list before the first section", slug, n)
			}
			s := &m.Sections[len(m.Sections)-1]
			item := strings.TrimSpace(line[2:])
			if k := len(s.Blocks) - 1; k >= 0 && s.Blocks[k].Items != nil {
				s.Blocks[k].Items = append(s.Blocks[k].Items, item)
			} else {
				s.Blocks = append(s.Blocks, ManualBlock{Items: []string{item}})
			}
		default:
			if len(m.Sections) == 0 {
				return m, fmt.Errorf("portal: manual %s line %d: text before the first section", slug, n)
			}
			para = append(para, line)
		}
	}
	flush()
	if m.Title == "" || m.Summary == "" || len(m.Sections) == 0 {
		return m, fmt.Errorf("portal: manual %s needs a title, a summary and sections", slug)
	}
	return m, sc.Err()
}

func manualBySlug(slug string) (Manual, bool) {
	for _, m := range manuals {
		if m.Slug == slug {
			return m, true
		}
	}
	return Manual{}, false
}

func (p *Portal) documentRoutes() {
	p.handle("GET /documenti", anyone, p.documents)
	p.handle("GET /documenti/{manuale}", anyone, p.manual)
	p.handle("GET /documenti/{manuale}/pdf", anyone, p.manualPDF)
}

func (p *Portal) documents(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, "documenti", struct{ Manuals []Manual }{manuals})
}

// manual is the manual's page; /documenti/{slug}.pdf is its PDF too, the
// name a download keeps.
func (p *Portal) manual(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("manuale")
	if s, ok := strings.CutSuffix(slug, ".pdf"); ok {
		p.servePDF(w, r, s)
		return
	}
	m, ok := manualBySlug(slug)
	if !ok {
		p.notFound(w, r)
		return
	}
	p.render(w, r, "manuale", m)
}

func (p *Portal) manualPDF(w http.ResponseWriter, r *http.Request) {
	p.servePDF(w, r, r.PathValue("manuale"))
}

func (p *Portal) servePDF(w http.ResponseWriter, r *http.Request, slug string) {
	m, ok := manualBySlug(slug)
	if !ok {
		p.notFound(w, r)
		return
	}
	b, err := manualPDF(m, p.now())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="manuale-`+m.Slug+`.pdf"`)
	_, _ = w.Write(b)
}

// manualPDF renders m as a portrait A4 document: the title and summary, then
// each section's heading, paragraphs and lists, a page number at the foot.
// fpdf's core fonts are cp1252: the translator carries the accents and the
// guillemets.
func manualPDF(m Manual, now time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(m.Title, true)
	pdf.SetAuthor("INPS - Libretto Famiglia", true)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetMargins(20, 18, 20)
	pdf.SetAutoPageBreak(true, 18)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "I", 8)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s - pagina %d", m.Title, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 5, tr("INPS - Libretto Famiglia (art. 54-bis D.L. 50/2017)"), "", 1, "L", false, 0, "")
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 16)
	pdf.MultiCell(0, 8, tr(m.Title), "", "L", false)
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "I", 11)
	pdf.MultiCell(0, 5.5, tr(m.Summary), "", "L", false)
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(0, 6, tr("Indice"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for i, s := range m.Sections {
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%d. %s", i+1, s.Heading)), "", 1, "L", false, 0, "")
	}
	for i, s := range m.Sections {
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "B", 13)
		pdf.MultiCell(0, 7, tr(fmt.Sprintf("%d. %s", i+1, s.Heading)), "", "L", false)
		pdf.SetFont("Helvetica", "", 10.5)
		for _, b := range s.Blocks {
			pdf.Ln(1.5)
			if b.Image != "" {
				if err := manualImage(pdf, tr, b); err != nil {
					return nil, fmt.Errorf("portal: manual %s: %w", m.Slug, err)
				}
				continue
			}
			if b.Items == nil {
				pdf.MultiCell(0, 5, tr(b.Text), "", "L", false)
				continue
			}
			for _, it := range b.Items {
				pdf.CellFormat(6, 5, tr("•"), "", 0, "R", false, 0, "")
				pdf.SetX(pdf.GetX() + 1)
				pdf.MultiCell(0, 5, tr(it), "", "L", false)
			}
		}
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "I", 8)
	pdf.MultiCell(0, 4, tr("Versione pubblicata il "+now.In(rome).Format("02/01/2006")+". Il manuale è disponibile anche come pagina web nella sezione Documenti del portale."), "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("portal: render the manual %s as pdf: %w", m.Slug, err)
	}
	return buf.Bytes(), nil
}

// manualImage draws a screenshot across the text's width, on a new page
// when it does not fit, with its caption under it.
func manualImage(pdf *fpdf.Fpdf, tr func(string) string, b ManualBlock) error {
	f, err := assetsFS.Open(manualImageDir + b.Image)
	if err != nil {
		return err
	}
	defer f.Close()
	opt := fpdf.ImageOptions{ImageType: "PNG", ReadDpi: false}
	info := pdf.RegisterImageOptionsReader(b.Image, opt, f)
	if err := pdf.Error(); err != nil {
		return err
	}
	left, _, right, bottom := pdf.GetMargins()
	pageW, pageH := pdf.GetPageSize()
	w := pageW - left - right
	h := w * info.Height() / info.Width()
	if pdf.GetY()+h+8 > pageH-bottom {
		pdf.AddPage()
	}
	y := pdf.GetY()
	pdf.ImageOptions(b.Image, left, y, w, h, false, opt, 0, "")
	pdf.Rect(left, y, w, h, "D")
	pdf.SetY(y + h + 1.5)
	pdf.SetFont("Helvetica", "I", 9)
	pdf.MultiCell(0, 4.5, tr(b.Text), "", "C", false)
	pdf.SetFont("Helvetica", "", 10.5)
	return nil
}
