// Package attachment serves stored documents (wills) as downloads that no
// browser renders in the site's origin: the one place where the API and the
// portal set a document's headers (SPEC §8 "Documents"). It imports nothing
// of Libretto.
package attachment

import (
	"net/http"
	"strconv"
)

// extensions are the document types Libretto accepts, by the extension of
// the file name it serves them under.
var extensions = map[string]string{
	"application/pdf": ".pdf",
	"image/png":       ".png",
	"image/jpeg":      ".jpg",
}

// Serve writes content as an attachment named base plus the extension of
// its type, never a name the uploader chose. A type outside the accepted
// ones is served as application/octet-stream. nosniff keeps a browser from
// guessing another type, and the sandbox policy keeps a document opened
// anyway from running script in the site's origin.
func Serve(w http.ResponseWriter, base, contentType string, content []byte) {
	ext, ok := extensions[contentType]
	if !ok {
		contentType, ext = "application/octet-stream", ".bin"
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+safe(base)+ext+`"`)
	h.Set("Content-Length", strconv.Itoa(len(content)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content)
}

// WillName is the file name base a claim's will is served under.
func WillName(claimID string) string { return "testamento-" + claimID }

// safe keeps letters, digits, '-' and '_' of a file name and replaces the
// rest, so that nothing can break out of the quoted header value.
func safe(base string) string {
	b := []byte(base)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
