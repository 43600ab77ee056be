package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

// IdempotencyKeyHeader names the header a client repeats a POST under.
const IdempotencyKeyHeader = "Idempotency-Key"

// Decode reads a JSON request body of at most limit bytes into v, strictly
// (unknown fields and wrong types are 400s), and returns the command Meta of
// the request: the caller, the role it acts under, the instant, the
// correlation id, and the idempotency key with the request's hash. On failure
// it has already written the problem and returns false.
//
// An empty body decodes as {}. The request hash covers the method, the path
// and the decoded body, so one key reused on another resource is refused too.
func (s *Server) Decode(w http.ResponseWriter, r *http.Request, limit int64, v any) (commands.Meta, bool) {
	body, err := readBody(r, limit)
	if err == nil {
		err = unmarshalStrict(body, v)
	}
	if err == nil {
		err = noNUL(reflect.ValueOf(v), "")
	}
	if err != nil {
		s.Problem(w, r, err)
		return commands.Meta{}, false
	}
	key := strings.TrimSpace(r.Header.Get(IdempotencyKeyHeader))
	if len(key) > 255 {
		s.Problem(w, r, badRequest("invalid_idempotency_key", IdempotencyKeyHeader, "the Idempotency-Key must be at most 255 characters"))
		return commands.Meta{}, false
	}
	// The hash covers the request as decoded, not its bytes: a client that
	// retries with the same values laid out otherwise (spacing, key order,
	// 3.0 for 3) repeats the same request.
	canonical, err := json.Marshal(v)
	if err != nil {
		canonical = body
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(canonical)
	return s.meta(r, key, hex.EncodeToString(h.Sum(nil))), true
}

func (s *Server) meta(r *http.Request, key, hash string) commands.Meta {
	p, role, _ := s.Principal(r)
	st := stateOf(r.Context())
	id := st.id
	if id == uuid.Nil {
		id = uuid.New()
	}
	return commands.Meta{
		ActorCF:        p.Subject,
		Role:           role,
		OnBehalfOf:     st.onBehalfOf,
		Scopes:         st.scopes,
		Now:            s.cfg.Now(),
		CorrelationID:  id,
		IdempotencyKey: key,
		RequestHash:    hash,
	}
}

// drainLimit is how much of an oversized body is read and dropped so that
// the client receives its 413 rather than a reset connection.
const drainLimit = 64 << 20

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !isJSONMedia(mt) {
			return nil, &httpError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Detail: "send the body as application/json"}
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, badRequest("malformed_json", "", "the body could not be read")
	}
	if int64(len(body)) > limit {
		// Read (and drop) the rest before answering: a client that writes
		// its whole body before reading would otherwise see the connection
		// reset instead of the 413. Beyond drainLimit the server closes.
		_, _ = io.CopyN(io.Discard, r.Body, drainLimit)
		return nil, &httpError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
			Detail: fmt.Sprintf("the body exceeds %d bytes", limit)}
	}
	return body, nil
}

func unmarshalStrict(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		trimmed = []byte("{}")
	}
	if trimmed[0] != '{' {
		return badRequest("malformed_json", "", "the body must be a JSON object")
	}
	err := decodeOne(trimmed, v)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && strings.HasPrefix(typeErr.Value, "number") {
		// 3.0 or 3e0 where an integer is expected: clients that hold every
		// number as a float send those. Accept them when integral.
		if norm, ok := integralNumbers(trimmed); ok && decodeOne(norm, v) == nil {
			return nil
		}
	}
	if errors.Is(err, errTrailing) {
		return badRequest("malformed_json", "", "the body holds more than one JSON value")
	}
	if err != nil {
		return decodeError(err)
	}
	return nil
}

var errTrailing = errors.New("trailing data after the JSON value")

// decodeOne decodes exactly one JSON value into v, strictly.
func decodeOne(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailing
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

// integralNumbers rewrites every JSON number written with a fraction or an
// exponent whose value is an integer that fits int64 (3.0, 3e2, 1.5e1) as
// that integer; other numbers stay as they are. ok is false when body is not
// one JSON value.
func integralNumbers(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	out, err := json.Marshal(integralize(v))
	if err != nil {
		return nil, false
	}
	return out, true
}

func integralize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = integralize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = integralize(e)
		}
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			return x
		}
		// ParseFloat first bounds the work: big.Rat would expand 1e999999999.
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<63 {
			return x
		}
		r, ok := new(big.Rat).SetString(string(x))
		if ok && r.IsInt() && r.Num().IsInt64() {
			return json.Number(r.Num().String())
		}
	}
	return v
}

func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
		b64     base64.CorruptInputError
	)
	switch {
	case errors.As(err, &b64):
		return badRequest("invalid_base64", "will.content_base64", "content_base64 must be standard base64")
	case errors.As(err, &syntax):
		return badRequest("malformed_json", "", fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest("malformed_json", "", "the JSON body ends too early")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return badRequest("invalid_type", field, fmt.Sprintf("%s must be a JSON %s", field, jsonKind(typeErr.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("unknown_field", name, fmt.Sprintf("unknown field %q", name))
	}
	return badRequest("malformed_json", "", "the body is not valid JSON: "+err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "integer"
	case "float32", "float64":
		return "number"
	case "slice", "array":
		return "array"
	}
	return "object"
}

// noNUL refuses a NUL character in any string of a decoded body: it is valid
// JSON but no person writes it, and PostgreSQL text and jsonb cannot hold it,
// so it would stop the projector that stores the text.
func noNUL(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return noNUL(v.Elem(), path)
		}
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			field := strings.TrimPrefix(path, ".")
			return &httpError{Status: http.StatusBadRequest, Code: domain.CodeInvalidCharacter, Field: field,
				Detail: field + " holds a NUL character"}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if err := noNUL(v.Field(i), path+"."+name); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes (a will) may hold anything
		}
		for i := range v.Len() {
			if err := noNUL(v.Index(i), path); err != nil {
				return err
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if err := noNUL(v.MapIndex(k), path+"."+k.String()); err != nil {
				return err
			}
		}
	}
	return nil
}
