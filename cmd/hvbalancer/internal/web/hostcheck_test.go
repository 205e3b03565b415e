package web_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// TestHostHeaderAllowList sends requests with chosen Host headers to a
// real server on 127.0.0.1, set up as if bound to each kind of address: a
// name the daemon does not know (DNS rebinding) is refused with 421 and a
// clear message, on the page and the API alike; the bound address, the
// configured names and, on loopback, localhost are answered.
func TestHostHeaderAllowList(t *testing.T) {
	type want struct {
		host string
		ok   bool
	}
	tests := []struct {
		name    string
		listen  string
		allowed []string
		hosts   []want
	}{
		{"loopback bind", "127.0.0.1:9707", nil, []want{
			{"127.0.0.1:9707", true}, {"localhost:9707", true}, {"LOCALHOST", true}, {"[::1]:9707", true}, {"127.0.0.1", true},
			{"evil.example", false}, {"evil.example:9707", false}, {"localhost.evil.example", false}, {"127.0.0.1.nip.io", false},
			{"10.0.0.5:9707", false}, {"localhost:bad", false},
		}},
		{"nothing configured is loopback", "", nil, []want{{"localhost", true}, {"evil.example", false}}},
		{"one interface with a name", "10.0.0.5:9707", []string{"hvb.lab.example", "HVB-ALIAS.lab.example."}, []want{
			{"10.0.0.5:9707", true}, {"hvb.lab.example:9707", true}, {"HVB.LAB.EXAMPLE.", true}, {"hvb-alias.lab.example", true},
			{"10.0.0.6:9707", false}, {"localhost:9707", false}, {"127.0.0.1:9707", false}, {"evil.example", false},
		}},
		{"every interface", "0.0.0.0:9707", []string{"hvb.lab.example"}, []want{
			{"10.1.2.3:9707", true}, {"[fd00::5]:9707", true}, {"localhost:9707", true}, {"hvb.lab.example", true},
			{"evil.example", false}, {"hvb.lab.example.evil.example", false},
		}},
		{"every IPv6 interface", "[::]:9707", nil, []want{{"10.1.2.3", true}, {"evil.example", false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *web.Options) { o.Listen, o.AllowedHosts = tc.listen, tc.allowed })
			for _, w := range tc.hosts {
				for _, path := range []string{"/", "/api/v1/status", "/healthz"} {
					req, err := http.NewRequest(http.MethodGet, e.url+path, nil)
					if err != nil {
						t.Fatal(err)
					}
					req.Host = w.host
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if got := resp.StatusCode != http.StatusMisdirectedRequest; got != w.ok {
						t.Errorf("Host %q %s: %d %s, want answered %v", w.host, path, resp.StatusCode, body, w.ok)
						continue
					}
					if w.ok {
						continue
					}
					msg := `host \"` + w.host + `\" is not served here: use the address the daemon listens on, or add the name to http.allowed_hosts`
					if path == "/" || path == "/healthz" {
						msg = strings.ReplaceAll(msg, `\"`, `"`) + "\n"
					} else {
						msg = `{"error":"` + msg + `"}` + "\n"
					}
					if string(body) != msg {
						t.Errorf("Host %q %s: body %q, want %q", w.host, path, body, msg)
					}
				}
			}
		})
	}
}

// TestRequestWithoutHostIsRefused: an HTTP/1.0 request may leave the Host
// header out; it names no host the daemon serves.
func TestRequestWithoutHostIsRefused(t *testing.T) {
	e := newEnv(t)
	u, _ := url.Parse(e.url)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("status %d, want 421", resp.StatusCode)
	}
}
