package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
}

// writeJSON writes v as indented JSON with code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		// Plain data: only a NaN or an impossible time gets here.
		writeError(w, http.StatusInternalServerError, "encode answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(buf.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// writeError writes {"error": msg} with code.
func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(apiError{Error: oneLine(msg)}) // a string always marshals
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// errorStatus maps a Backend error to an HTTP status.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// backendError answers with err mapped to its status. Mutating requests
// are authenticated, so their caller sees the whole message; a read only
// sees it for the expected errors, the rest goes to the log.
func (s *server) backendError(w http.ResponseWriter, r *http.Request, op string, err error) {
	code := errorStatus(err)
	if code >= 500 {
		s.log.Error(op, "path", r.URL.Path, "error", err)
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			writeError(w, code, op+": internal error (see the daemon log)")
			return
		}
	}
	writeError(w, code, err.Error())
}

// errBadBody is a request body that is not the expected JSON object.
var errBadBody = errors.New("bad request body")

// decodeBody decodes an optional JSON object into dst: an empty body
// leaves dst as it is; unknown fields and trailing data are refused.
func decodeBody(r *http.Request, dst any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if typeErr.Field == "" {
				return fmt.Errorf("%w: got %s, want an object", errBadBody, typeErr.Value)
			}
			return fmt.Errorf("%w: %s: got %s, want %s", errBadBody, typeErr.Field, typeErr.Value, typeErr.Type)
		}
		return fmt.Errorf("%w: %w", errBadBody, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("%w: data after the JSON object", errBadBody)
	}
	return nil
}

// bodyError answers a decodeBody error: 413 when the body is too large,
// 400 otherwise.
func bodyError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}
