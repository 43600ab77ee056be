package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
)

// MaxWillBytes is the largest will accepted: 10 MiB.
const MaxWillBytes = 10 << 20

// CheckWill accepts a will by its content, not its name: a PDF (%PDF-), a
// PNG or a JPEG of at most 10 MiB. It returns the reference the events carry
// (the bytes themselves go to the document store once, keyed by SHA-256).
func CheckWill(filename string, content []byte) (Will, error) {
	if len(content) == 0 {
		return Will{}, RuleError(CodeInvalidWill, "will", "the will is empty")
	}
	if len(content) > MaxWillBytes {
		return Will{}, RuleError(CodeInvalidWill, "will", "the will exceeds 10 MiB").With("max_bytes", MaxWillBytes)
	}
	var ct string
	switch {
	case bytes.HasPrefix(content, []byte("%PDF-")):
		ct = "application/pdf"
	case bytes.HasPrefix(content, []byte("\x89PNG\r\n\x1a\n")):
		ct = "image/png"
	case bytes.HasPrefix(content, []byte{0xFF, 0xD8, 0xFF}):
		ct = "image/jpeg"
	default:
		return Will{}, RuleError(CodeInvalidWill, "will", "the will must be a PDF, PNG or JPEG file")
	}
	sum := sha256.Sum256(content)
	if filename == "" {
		filename = "will"
	}
	return Will{Filename: filename, ContentType: ct, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}, nil
}
