package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/jpeg"
	"image/png"
	"io"
)

// MaxWillBytes is the largest will accepted: 10 MiB.
const MaxWillBytes = 10 << 20

// Bounds on a will scanned as an image, checked on its header before the
// pixels are decoded: an A4 page scanned at 400 dpi fits, a decompression
// bomb (a few KiB that claim a gigapixel) does not.
const (
	maxImageSide   = 10_000
	maxImagePixels = 25_000_000
)

// pdfTail is how far from the end a PDF's startxref and %%EOF are looked
// for (readers look in the last 1024 bytes too).
const pdfTail = 1024

// CheckWill accepts a will by its content, never by its name: a PDF with its
// header and trailer, or a PNG or JPEG image that decodes, of 1 byte to 10
// MiB. A size out of bounds is invalid_will; content that is not really one
// of those documents is invalid_document. It returns the reference the events
// carry (the bytes go to the document store once, keyed by SHA-256), with the
// content type detected, which is what the will is served as.
func CheckWill(filename string, content []byte) (Will, error) {
	if len(content) == 0 {
		return Will{}, RuleError(CodeInvalidWill, "will", "the will is empty")
	}
	if len(content) > MaxWillBytes {
		return Will{}, RuleError(CodeInvalidWill, "will", "the will exceeds 10 MiB").With("max_bytes", MaxWillBytes)
	}
	ct, err := documentType(content)
	if err != nil {
		return Will{}, err
	}
	sum := sha256.Sum256(content)
	if filename == "" {
		filename = "will"
	}
	return Will{Filename: filename, ContentType: ct, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}, nil
}

// documentType returns the content type of a real PDF, PNG or JPEG document
// and an invalid_document error for anything else.
func documentType(content []byte) (string, error) {
	switch {
	case bytes.HasPrefix(content, []byte("%PDF-")):
		if reason := pdfProblem(content); reason != "" {
			return "", invalidDocument("the will is not a valid PDF: " + reason)
		}
		return "application/pdf", nil
	case bytes.HasPrefix(content, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", decodeImage(content, "png", png.DecodeConfig, png.Decode)
	case bytes.HasPrefix(content, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", decodeImage(content, "jpeg", jpeg.DecodeConfig, jpeg.Decode)
	}
	return "", invalidDocument("the will must be a PDF, PNG or JPEG file")
}

func invalidDocument(detail string) *Error {
	return RuleError(CodeInvalidDocument, "will", detail)
}

// markup is what makes a browser or a mail filter take a file for a web
// page; a PDF does not hold it in its first kilobyte.
var markup = [][]byte{[]byte("<html"), []byte("<script"), []byte("<body"), []byte("<head"), []byte("<!doctype"), []byte("<iframe"), []byte("<svg")}

// pdfProblem is a light structural check of a PDF (ISO 32000 §7.5): a
// "%PDF-d.d" header line, at least one indirect object, "startxref" and
// "%%EOF" at the end, and no web page hidden in the first kilobyte. It
// returns what is wrong, or "" for a well-formed file.
func pdfProblem(b []byte) string {
	if len(b) < 8 || !isDigit(b[5]) || b[6] != '.' || !isDigit(b[7]) {
		return "the header is not %PDF-<version>"
	}
	if len(b) > 8 && b[8] != '\r' && b[8] != '\n' && b[8] != ' ' {
		return "the header line does not end after the version"
	}
	head := bytes.ToLower(b[:min(len(b), 1024)])
	for _, m := range markup {
		if bytes.Contains(head, m) {
			return "it holds web-page markup"
		}
	}
	if !bytes.Contains(b, []byte("endobj")) {
		return "it holds no object"
	}
	tail := b[max(0, len(b)-pdfTail):]
	eof := bytes.LastIndex(tail, []byte("%%EOF"))
	if eof < 0 {
		return "the %%EOF trailer is missing"
	}
	if len(bytes.TrimSpace(tail[eof+len("%%EOF"):])) > 0 {
		return "there is data after the %%EOF trailer"
	}
	if !bytes.Contains(tail[:eof], []byte("startxref")) {
		return "startxref is missing before %%EOF"
	}
	return ""
}

// decodeImage checks the header's dimensions against the bounds and then
// decodes every pixel, so that a truncated or forged image is refused.
func decodeImage(content []byte, format string,
	config func(io.Reader) (image.Config, error), decode func(io.Reader) (image.Image, error)) error {
	cfg, err := config(bytes.NewReader(content))
	if err != nil {
		return invalidDocument("the will is not a valid " + format + " image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImageSide || cfg.Height > maxImageSide ||
		int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return invalidDocument("the will's image is too large: at most 10000 pixels a side and 25 megapixels")
	}
	if _, err := decode(bytes.NewReader(content)); err != nil {
		return invalidDocument("the will is not a valid " + format + " image")
	}
	return nil
}
