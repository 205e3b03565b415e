package web_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/prometheus/client_golang/prometheus"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const token = "s3cret-token-0123456789"

// env is a real HTTP server on 127.0.0.1 in front of a fake backend.
type env struct {
	url       string
	fake      *fakeBackend
	tokenPath string
	logs      *bytes.Buffer
}

type envOption func(*web.Options)

func withGatherer(g prometheus.Gatherer) envOption { return func(o *web.Options) { o.Gatherer = g } }
func withTokenFile(p string) envOption             { return func(o *web.Options) { o.TokenFile = p } }

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := &env{fake: newFake(), tokenPath: filepath.Join(t.TempDir(), "token"), logs: new(bytes.Buffer)}
	e.writeToken(t, token+"\n")
	o := web.Options{
		TokenFile: e.tokenPath,
		Gatherer:  prometheus.NewRegistry(),
		Logger:    slog.New(slog.NewTextHandler(e.logs, nil)),

		ConfigPath: "/etc/hvbalancer/config.yaml",
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv := httptest.NewServer(web.NewHandler(e.fake, o))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *env) writeToken(t *testing.T, content string) {
	t.Helper()
	if err := os.WriteFile(e.tokenPath, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// response is what a request got back.
type response struct {
	code   int
	header http.Header
	body   string
}

// do sends a request; header holds name, value pairs.
func (e *env) do(t *testing.T, method, path, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: string(b)}
}

// authed returns the header pairs that carry the right token.
func authed() []string { return []string{"Authorization", "Bearer " + token} }

// errorOf decodes a JSON error body.
func errorOf(t *testing.T, r response) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error content type %q, want application/json (body %q)", ct, r.body)
	}
	var e struct {
		Error string `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return e.Error
}

// decode decodes a JSON body strictly into v.
func decode(t *testing.T, r response, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
