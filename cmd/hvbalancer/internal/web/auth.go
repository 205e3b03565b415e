package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// maxTokenBytes bounds what is read of the token file.
const maxTokenBytes = 4 << 10

// errNoToken means the token file is missing or empty.
var errNoToken = errors.New("no token configured")

// tokenFile is the file holding the bearer token. It is read at every
// request, so replacing the file rotates the token without a restart.
type tokenFile struct{ path string }

// read returns the file's content without surrounding white space.
func (t tokenFile) read() (string, error) {
	if t.path == "" {
		return "", errNoToken
	}
	f, err := os.Open(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", errNoToken
	}
	if err != nil {
		return "", fmt.Errorf("read token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenBytes+1))
	if err != nil {
		return "", fmt.Errorf("read token file: %w", err)
	}
	if len(b) > maxTokenBytes {
		return "", fmt.Errorf("read token file: longer than %d bytes", maxTokenBytes)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", errNoToken
	}
	return tok, nil
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// equalTokens compares in constant time; hashing first hides the length.
func equalTokens(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// authorized lets a request through to next only with the right bearer
// token: 503 when no token is configured, 401 with a Bearer challenge when
// the header is missing or the token wrong. It bounds the body for next.
func (s *server) authorized(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want, err := s.token.read()
		if err != nil {
			if errors.Is(err, errNoToken) {
				writeError(w, http.StatusServiceUnavailable, errNoToken.Error())
				return
			}
			s.log.Error("authorize request", "path", r.URL.Path, "error", err)
			writeError(w, http.StatusServiceUnavailable, "token unavailable")
			return
		}
		got, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hvbalancer"`)
			writeError(w, http.StatusUnauthorized, "bearer token required")
			return
		}
		if !equalTokens(got, want) {
			s.log.Warn("wrong bearer token", "path", r.URL.Path, "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="hvbalancer", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid token")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next(w, r)
	})
}
