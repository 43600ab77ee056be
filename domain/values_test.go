package domain_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/inps/libretto/domain"
)

// withCheck completes 15 characters with the check character our checker
// computes; the table below pins that checker on known real CFs first.
func withCheck(first15 string) string { return first15 + string(domain.CFCheckChar(first15)) }

func code(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Code
	}
	if err == nil {
		return ""
	}
	return "not a domain error: " + err.Error()
}

func TestParseCF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, code string
	}{
		{"a known valid codice fiscale is accepted", "RSSMRA85T10A562S", "RSSMRA85T10A562S", ""},
		{"another known valid codice fiscale is accepted", "MRTMTT25D09F205Z", "MRTMTT25D09F205Z", ""},
		{"a woman's day (+40) is accepted", withCheck("BNCLRA90A41H501"), withCheck("BNCLRA90A41H501"), ""},
		{"lower case and spaces are normalised", "  rssmra85t10a562s ", "RSSMRA85T10A562S", ""},
		{"omocodia letters in digit positions are accepted", withCheck("RSSMRA85T10A56N"), withCheck("RSSMRA85T10A56N"), ""},
		{"omocodia in every digit position is accepted", withCheck("RSSMRAUTTLMALRN"), withCheck("RSSMRAUTTLMALRN"), ""},
		{"a wrong check character is refused", "RSSMRA85T10A562T", "", domain.CodeInvalidCF},
		{"15 characters are refused", "RSSMRA85T10A562", "", domain.CodeInvalidCF},
		{"17 characters are refused", "RSSMRA85T10A562SX", "", domain.CodeInvalidCF},
		{"a non-omocodia letter in a digit position is refused", withCheck("RSSMRA8AT10A562"), "", domain.CodeInvalidCF},
		{"a digit in a letter position is refused", withCheck("R5SMRA85T10A562"), "", domain.CodeInvalidCF},
		{"an unknown month letter is refused", withCheck("RSSMRA85F10A562"), "", domain.CodeInvalidCF},
		{"an impossible day is refused", withCheck("RSSMRA85T35A562"), "", domain.CodeInvalidCF},
		{"an empty string is refused", "", "", domain.CodeInvalidCF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.ParseCF(tt.in)
			if c := code(err); c != tt.code {
				t.Fatalf("ParseCF(%q) code %q, want %q", tt.in, c, tt.code)
			}
			if got.String() != tt.want {
				t.Fatalf("ParseCF(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCFCheckCharMatchesKnownCodes(t *testing.T) {
	t.Parallel()
	for _, known := range []string{"RSSMRA85T10A562S", "MRTMTT25D09F205Z"} {
		if got := domain.CFCheckChar(known[:15]); got != known[15] {
			t.Errorf("check character of %s = %c, want %c", known[:15], got, known[15])
		}
	}
}

func TestParseIBAN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, code string
	}{
		{"a valid Italian IBAN is accepted", "IT60X0542811101000000123456", "IT60X0542811101000000123456", ""},
		{"spaces are removed and letters upper-cased", "it60 x054 2811 1010 0000 0123 456", "IT60X0542811101000000123456", ""},
		{"a valid German IBAN is accepted", "DE89370400440532013000", "DE89370400440532013000", ""},
		{"a valid British IBAN is accepted", "GB82WEST12345698765432", "GB82WEST12345698765432", ""},
		{"wrong check digits are refused", "IT61X0542811101000000123456", "", domain.CodeInvalidIBAN},
		{"a changed account digit is refused", "IT60X0542811101000000123457", "", domain.CodeInvalidIBAN},
		{"an Italian IBAN of 26 characters is refused", "IT60X054281110100000012345", "", domain.CodeInvalidIBAN},
		{"an Italian IBAN without its CIN letter is refused", "IT6010542811101000000123456", "", domain.CodeInvalidIBAN},
		{"punctuation is refused", "IT60-X054-2811-1010-0000-0123", "", domain.CodeInvalidIBAN},
		{"an empty IBAN is refused", "", "", domain.CodeInvalidIBAN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.ParseIBAN(tt.in)
			if c := code(err); c != tt.code {
				t.Fatalf("ParseIBAN(%q) code %q, want %q", tt.in, c, tt.code)
			}
			if got.String() != tt.want {
				t.Fatalf("ParseIBAN(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2026-02-28": "", "2024-02-29": "", "2026-02-29": domain.CodeInvalidDate, "2026-2-3": domain.CodeInvalidDate, "03/02/2026": domain.CodeInvalidDate, "": domain.CodeInvalidDate} {
		_, err := domain.ParseDate(in, "f")
		if c := code(err); c != want {
			t.Errorf("ParseDate(%q) code %q, want %q", in, c, want)
		}
	}
}

func TestRecordingDeadlineIsThe3rdOfTheNextMonth(t *testing.T) {
	t.Parallel()
	for end, want := range map[string]string{"2026-01-31": "2026-02-03", "2026-01-01": "2026-02-03", "2025-12-15": "2026-01-03", "2026-02-28": "2026-03-03"} {
		d, _ := domain.ParseDate(end, "")
		if got := domain.RecordingDeadline(d).String(); got != want {
			t.Errorf("deadline of %s = %s, want %s", end, got, want)
		}
	}
}

func TestEnums(t *testing.T) {
	t.Parallel()
	for _, a := range []string{"lavori_domestici", "assistenza_domiciliare", "insegnamento_privato"} {
		if got, err := domain.ParseActivity(a); err != nil || got.String() != a {
			t.Errorf("activity %s: %v", a, err)
		}
	}
	if _, err := domain.ParseActivity("giardinaggio"); code(err) != domain.CodeInvalidActivity {
		t.Errorf("an unknown activity is refused: %v", err)
	}
	if c, err := domain.ParseWorkerCategory(""); err != nil || c != domain.CategoryOther {
		t.Errorf("the default category is altro: %v %v", c, err)
	}
	for _, c := range []string{"pensionato", "studente_under25", "disoccupato", "sostegno_reddito"} {
		got, err := domain.ParseWorkerCategory(c)
		if err != nil || !got.Reduced() {
			t.Errorf("category %s counts at 75%%: %v", c, err)
		}
	}
	if domain.CategoryOther.Reduced() {
		t.Error("altro counts in full")
	}
	if _, err := domain.ParseWorkerCategory("studente"); code(err) != domain.CodeInvalidCategory {
		t.Errorf("an unknown category is refused: %v", err)
	}
	for _, k := range []string{"legittimo", "testamentario"} {
		if got, err := domain.ParseHeirKind(k); err != nil || got.String() != k {
			t.Errorf("heir kind %s: %v", k, err)
		}
	}
	if _, err := domain.ParseHeirKind("erede"); code(err) != domain.CodeInvalidHeirKind {
		t.Errorf("an unknown heir kind is refused: %v", err)
	}
	for _, ch := range []string{"F24", "PAGOPA"} {
		if _, err := domain.ParseChannel(ch); err != nil {
			t.Errorf("channel %s: %v", ch, err)
		}
	}
	if _, err := domain.ParseChannel("CASH"); code(err) != domain.CodeInvalidChannel {
		t.Errorf("an unknown channel is refused: %v", err)
	}
}

func TestParseHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		ceil int64
		code string
	}{
		{1, 1, ""}, {1.5, 2, ""}, {0.25, 1, ""}, {2.01, 3, ""}, {8, 8, ""},
		{0, 0, domain.CodeInvalidHours}, {-1, 0, domain.CodeInvalidHours}, {1.234, 0, domain.CodeInvalidHours},
		{math.NaN(), 0, domain.CodeInvalidHours},
	}
	for _, tt := range tests {
		h, err := domain.ParseHours(tt.in)
		if c := code(err); c != tt.code {
			t.Errorf("ParseHours(%v) code %q, want %q", tt.in, c, tt.code)
			continue
		}
		if err == nil && h.Ceil() != tt.ceil {
			t.Errorf("ceil(%v) = %d, want %d", tt.in, h.Ceil(), tt.ceil)
		}
	}
}

func TestVoucherSplitsInto800Net165IVS25INAIL10Management(t *testing.T) {
	t.Parallel()
	if domain.VoucherNet+domain.VoucherIVS+domain.VoucherINAIL+domain.VoucherFee != domain.VoucherCents || domain.VoucherCents != 1000 ||
		domain.VoucherNet != 800 || domain.VoucherIVS != 165 || domain.VoucherINAIL != 25 || domain.VoucherFee != 10 {
		t.Fatal("a voucher is 1000 = 800 + 165 + 25 + 10")
	}
	if domain.ReducedShare(800) != 600 || domain.ReducedShare(8000) != 6000 {
		t.Fatal("75% of the net counts towards the user cap")
	}
}

// minimalPDF is the smallest file a PDF reader opens: header, one object,
// trailer, startxref and %%EOF.
const minimalPDF = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"

func encodedImage(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	var buf bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckWill(t *testing.T) {
	t.Parallel()
	pdf := []byte(minimalPDF)
	// A PDF padded to exactly 10 MiB: the padding is a comment line after the header.
	padded := append([]byte("%PDF-1.7\n%"), bytes.Repeat([]byte("x"), domain.MaxWillBytes)...)
	padded = append(append(padded[:domain.MaxWillBytes-len(pdf)+8], '\n'), pdf[9:]...)
	big := append(append([]byte(nil), padded...), '\n')
	pngImg, jpegImg := encodedImage(t, "png", 40, 30), encodedImage(t, "jpeg", 40, 30)
	// A PNG whose header claims 20000×20000 pixels (a decompression bomb).
	bomb := append([]byte(nil), pngImg...)
	binary.BigEndian.PutUint32(bomb[16:], 20000)
	binary.BigEndian.PutUint32(bomb[20:], 20000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29])) // IHDR's CRC
	tests := []struct {
		name    string
		content []byte
		ct      string
		code    string
	}{
		{"a PDF with header and trailer is accepted", pdf, "application/pdf", ""},
		{"a PDF with CRLF line ends is accepted", []byte(strings.ReplaceAll(minimalPDF, "\n", "\r\n")), "application/pdf", ""},
		{"a PNG that decodes is accepted", pngImg, "image/png", ""},
		{"a JPEG that decodes is accepted", jpegImg, "image/jpeg", ""},
		{"a text file named .pdf is refused", []byte("hello, I am not a pdf"), "", domain.CodeInvalidDocument},
		{"an HTML page behind a PDF header is refused", []byte("%PDF-<html><script>alert(1)</script></html>\n%%EOF\n"), "", domain.CodeInvalidDocument},
		{"an HTML page inside a versioned PDF header is refused", []byte("%PDF-1.4\n<html><script>alert(1)</script>\n" + minimalPDF[9:]), "", domain.CodeInvalidDocument},
		{"a PDF header alone is refused", []byte("%PDF-1.4\n"), "", domain.CodeInvalidDocument},
		{"a PDF without its %%EOF trailer is refused", []byte(strings.TrimSuffix(minimalPDF, "%%EOF\n")), "", domain.CodeInvalidDocument},
		{"a PDF without startxref is refused", []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"), "", domain.CodeInvalidDocument},
		{"a PDF with data after %%EOF is refused", append(append([]byte(nil), pdf...), "<script>"...), "", domain.CodeInvalidDocument},
		{"a PNG signature with garbage is refused", []byte("\x89PNG\r\n\x1a\nrest"), "", domain.CodeInvalidDocument},
		{"a truncated PNG is refused", pngImg[:len(pngImg)-20], "", domain.CodeInvalidDocument},
		{"a JPEG signature with garbage is refused", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 1}, "", domain.CodeInvalidDocument},
		{"a PNG claiming 400 megapixels is refused before decoding", bomb, "", domain.CodeInvalidDocument},
		{"an empty file is refused", nil, "", domain.CodeInvalidWill},
		{"a will over 10 MiB is refused", big, "", domain.CodeInvalidWill},
		{"a will of exactly 10 MiB is accepted", padded, "application/pdf", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := domain.CheckWill("testamento.pdf", tt.content)
			if c := code(err); c != tt.code {
				t.Fatalf("code %q, want %q (%v)", c, tt.code, err)
			}
			if err == nil && (w.ContentType != tt.ct || len(w.SHA256) != 64 || w.Size != int64(len(tt.content)) || strings.ContainsAny(w.SHA256, "ABCDEF")) {
				t.Fatalf("will reference %+v", w)
			}
		})
	}
}
