package api_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/http/api"
	"github.com/inps/libretto/projections"
)

// TestACitizenTopsUpTheBookletWithAPagoPANotice is the "done when"
// as a client sees it: a citizen creates a notice, the system pays it, the
// balance rises by exactly that amount once; a second payment is 409, a
// wrong amount 422; a stranger cannot read the notice.
func TestACitizenTopsUpTheBookletWithAPagoPANotice(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 5000)
	created := s.post("/deposits/notices", w.userTok, map[string]any{"amount_cents": 25000}).want(http.StatusCreated)
	number := created.str("notice_number")
	if _, err := domain.ParseNoticeNumber(number, ""); err != nil || created.str("iuv") != number[1:] ||
		created.num("amount_cents") != 25000 || created.str("expires_on") != "2026-04-09" {
		t.Fatalf("notice %s: %v", created.raw, err)
	}
	got := s.get("/deposits/notices/"+number+"?"+created.pos(), w.userTok).want(http.StatusOK)
	if got.str("status") != "open" || got.str("user_cf") != w.user || got.str("payee_cf") != "80078750587" {
		t.Fatalf("the notice reads %s", got.raw)
	}
	open := s.get("/deposits/notices?"+created.pos(), w.userTok).want(http.StatusOK).list("notices")
	if len(open) != 1 || open[0].(map[string]any)["notice_number"] != number {
		t.Fatalf("open notices: %v", open)
	}
	before := s.get("/families/"+w.user+"/dashboard?"+created.pos(), w.userTok).want(http.StatusOK).obj("booklet")["available_cents"].(float64)

	pay := map[string]any{"notice_number": number, "amount_cents": 25000, "channel": "PAGOPA", "paid_on": "2026-03-09"}
	wrong := map[string]any{"notice_number": number, "amount_cents": 26000, "channel": "PAGOPA", "paid_on": "2026-03-09"}
	s.post("/deposits", s.system(), wrong).problem(http.StatusUnprocessableEntity, "notice_mismatch")
	paid := s.post("/deposits", s.system(), pay).want(http.StatusCreated)
	s.post("/deposits", s.system(), pay).problem(http.StatusConflict, "notice_already_paid")

	after := s.get("/families/"+w.user+"/dashboard?"+paid.pos(), w.userTok).want(http.StatusOK)
	if a := after.obj("booklet")["available_cents"].(float64); a-before != 25000 {
		t.Fatalf("the balance rose by %v, want 25000 once", a-before)
	}
	var fromNotice int
	for _, x := range after.list("deposits") {
		d := x.(map[string]any)
		if d["deposit_id"] == paid.str("deposit_id") && d["channel"] == "PAGOPA" && d["status"] == "credited" && d["amount_cents"] == 25000.0 {
			fromNotice++
		}
	}
	if fromNotice != 1 {
		t.Fatalf("deposits: %v", after.list("deposits"))
	}
	if st := s.get("/deposits/notices/"+number+"?"+paid.pos(), s.operator()).want(http.StatusOK); st.str("status") != "paid" || st.str("deposit_id") != paid.str("deposit_id") {
		t.Fatalf("the paid notice reads %s", st.raw)
	}
	if open := s.get("/deposits/notices?"+paid.pos(), w.userTok).want(http.StatusOK).list("notices"); len(open) != 0 {
		t.Fatalf("a paid notice is still open: %v", open)
	}

	t.Run("another person's notice is not found", func(t *testing.T) {
		stranger := s.token(s.cf())
		s.get("/deposits/notices/"+number, stranger).problem(http.StatusNotFound, "not_found")
		s.get("/deposits/notices/"+number, stranger, "Accept", "application/pdf").problem(http.StatusNotFound, "not_found")
		s.get("/deposits/notices/"+number, s.auditor()).want(http.StatusOK)
	})
	t.Run("a payment naming another user is a mismatch", func(t *testing.T) {
		other := s.post("/deposits/notices", w.userTok, map[string]any{"amount_cents": 1000}).want(http.StatusCreated)
		s.post("/deposits", s.system(), map[string]any{"notice_number": other.str("notice_number"), "user_cf": w.worker,
			"amount_cents": 1000, "channel": "PAGOPA", "paid_on": "2026-03-09"}).problem(http.StatusUnprocessableEntity, "notice_mismatch")
		s.post("/deposits", s.system(), map[string]any{"notice_number": other.str("notice_number"), "user_cf": w.user,
			"amount_cents": 1000, "channel": "PAGOPA", "paid_on": "2026-03-09"}).want(http.StatusCreated)
	})
	t.Run("an expired notice is refused", func(t *testing.T) {
		other := s.post("/deposits/notices", w.userTok, map[string]any{"amount_cents": 2000}).want(http.StatusCreated)
		s.post("/deposits", s.system(), map[string]any{"notice_number": other.str("notice_number"),
			"amount_cents": 2000, "channel": "PAGOPA", "paid_on": "2026-04-10"}).problem(http.StatusUnprocessableEntity, "notice_expired")
	})
	t.Run("unknown and malformed notices", func(t *testing.T) {
		unknown := domain.NoticeNumberOf(7).String()
		s.post("/deposits", s.system(), map[string]any{"notice_number": unknown, "amount_cents": 1000, "channel": "PAGOPA", "paid_on": "2026-03-09"}).
			problem(http.StatusNotFound, "not_found")
		s.post("/deposits", s.system(), map[string]any{"notice_number": "302000000000000185", "amount_cents": 1000, "channel": "PAGOPA", "paid_on": "2026-03-09"}).
			problem(http.StatusUnprocessableEntity, "invalid_notice_number")
		s.get("/deposits/notices/"+unknown, w.userTok).problem(http.StatusNotFound, "not_found")
		s.get("/deposits/notices/12345", w.userTok).problem(http.StatusNotFound, "not_found")
	})
	t.Run("bad amounts and bodies", func(t *testing.T) {
		for _, cents := range []int64{0, -1000, 500, 1500, 501000} {
			s.post("/deposits/notices", w.userTok, map[string]any{"amount_cents": cents}).problem(http.StatusUnprocessableEntity, "invalid_amount")
		}
		s.post("/deposits/notices", w.userTok, `{"amount_cents": 1000`).want(http.StatusBadRequest)
		s.post("/deposits/notices", w.userTok, map[string]any{"amount_cents": 1000, "user_cf": w.worker}).want(http.StatusBadRequest)
		s.post("/deposits/notices", w.userTok, map[string]any{"amount_cents": "1000"}).want(http.StatusBadRequest)
	})
	t.Run("only a citizen with an active booklet issues a notice", func(t *testing.T) {
		s.post("/deposits/notices", w.workerTok, map[string]any{"amount_cents": 1000}).problem(http.StatusUnprocessableEntity, "user_not_registered")
		s.post("/deposits/notices", s.operator(), map[string]any{"amount_cents": 1000}).want(http.StatusForbidden)
		s.post("/deposits/notices", s.system(), map[string]any{"amount_cents": 1000}).want(http.StatusForbidden)
	})
}

func TestThePrintableNoticeShowsTheGroupedNumberAndAQRCodeOfTheSPECString(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 0)
	created := s.post("/deposits/notices", w.userTok, map[string]any{"amount_cents": 25000}).want(http.StatusCreated)
	number := created.str("notice_number")
	r := s.get("/deposits/notices/"+number+"?"+created.pos(), w.userTok, "Accept", "application/pdf").want(http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/pdf" {
		t.Fatalf("content type %q", ct)
	}
	checkNoticePDF(t, r.raw, number, 25000)
}

func TestNoticePDFDirectly(t *testing.T) {
	t.Parallel()
	n := projections.Notice{NoticeNumber: "302000000000000184", IUV: "02000000000000184", UserCF: "RSSMRA85T10A562S", AmountCents: 123000,
		IssuedOn: "2026-03-10", ExpiresOn: "2026-04-09", Status: "open"}
	pdf, err := api.NoticePDF(n, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	checkNoticePDF(t, pdf, n.NoticeNumber, 123000)
	for _, want := range []string{"(1.230,00 \x80)", "(09/04/2026)", "(80078750587)"} { // € is 0x80 in the cp1252 text
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("the notice does not show %q", want)
		}
	}
}

// checkNoticePDF checks that pdf is a whole PDF that shows the notice number
// grouped as on real notices and holds a QR code that decodes to SPEC's
// string.
func checkNoticePDF(t *testing.T, pdf []byte, number string, cents int64) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) || !bytes.Contains(pdf, []byte("xref")) || !bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) {
		t.Fatal("not a whole PDF")
	}
	grouped := number[0:4] + " " + number[4:8] + " " + number[8:12] + " " + number[12:16] + " " + number[16:]
	if !bytes.Contains(pdf, []byte("("+grouped+")")) {
		t.Fatalf("the notice does not show %q", grouped)
	}
	img := pdfImage(t, pdf)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not decode: %v", err)
	}
	if want := "PAGOPA|002|" + number + "|80078750587|" + strconv.FormatInt(cents, 10); res.GetText() != want {
		t.Fatalf("the QR code reads %q, want %q", res.GetText(), want)
	}
}

var imageObject = regexp.MustCompile(`/Subtype /Image\s*/Width (\d+)\s*/Height (\d+)\s*/ColorSpace /DeviceGray\s*/BitsPerComponent 8\s*/Filter /FlateDecode\s*/DecodeParms <<[^>]*>>\s*/Length (\d+)>>\s*stream\r?\n`)

// pdfImage takes the one grayscale image out of pdf: its stream is PNG's
// filtered, deflated scan lines (DecodeParms /Predictor 15), so wrapped in
// PNG chunks again it decodes as the PNG it came from.
func pdfImage(t *testing.T, pdf []byte) image.Image {
	t.Helper()
	m := imageObject.FindSubmatchIndex(pdf)
	if m == nil {
		t.Fatal("no grayscale image in the PDF")
	}
	atoi := func(i int) int {
		n, _ := strconv.Atoi(string(pdf[m[2*i]:m[2*i+1]]))
		return n
	}
	width, height, length := atoi(1), atoi(2), atoi(3)
	data := pdf[m[1] : m[1]+length]
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, body []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(body)))
		b.WriteString(kind)
		b.Write(body)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), body...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 0 // 8 bits, grayscale
	chunk("IHDR", ihdr)
	chunk("IDAT", data)
	chunk("IEND", nil)
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatalf("the PDF's image: %v", err)
	}
	return img
}
