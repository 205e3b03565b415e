package web_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/policy"
)

// placeRules deny the fixture's second host, cost the first 5, by a rule
// they name, and judge nothing else.
type placeRules struct{ deny, cost string }

func (placeRules) Settings() policy.Settings  { return policy.Settings{} }
func (placeRules) Requests() []policy.Request { return nil }
func (placeRules) Frozen(string) bool         { return false }
func (r placeRules) Judge(_ context.Context, m policy.Move, _ policy.Projected) (policy.Verdict, error) {
	if m.To == r.deny {
		return policy.Verdict{Deny: []string{"new-vm: not on " + m.To}}, nil
	}
	if m.To == r.cost {
		return policy.Verdict{Penalty: 5}, nil
	}
	return policy.Verdict{}, nil
}

// Costs names the first host's penalty, as policy.Session does.
func (r placeRules) Costs(_ context.Context, m policy.Move, _ policy.Projected) (map[string]float64, error) {
	if m.To == r.cost {
		return map[string]float64{"vm_host_rule web-elsewhere": 5}, nil
	}
	return nil, nil
}

// placeBackend is the fake backend with placement: balancer.Place on its
// snapshot under placeRules, or err when set.
type placeBackend struct {
	*fakeBackend
	err  error
	reqs []balancer.PlaceRequest
}

var _ web.Placer = (*placeBackend)(nil)

func (p *placeBackend) Place(ctx context.Context, req balancer.PlaceRequest) (*balancer.Placement, error) {
	p.reqs = append(p.reqs, req)
	if p.err != nil {
		return nil, p.err
	}
	s := p.Snapshot()
	return balancer.Place(ctx, s, balancer.DefaultConfig(), placeRules{deny: s.Hosts[1].Name, cost: s.Hosts[0].Name}, req)
}

func newPlaceEnv(t *testing.T) (*env, *placeBackend) {
	t.Helper()
	b := &placeBackend{fakeBackend: newFake()}
	// The fixture's first host cool enough to take a VM, the second out
	// of maintenance (placeRules deny it), the third unreachable.
	hs := b.snap.Hosts
	hs[0].CPU.Mean, hs[0].CPU.P95 = 30, 32
	hs[1].Maintenance = false
	hs[1].Memory.Mean, hs[1].Memory.P95 = 40, 40
	logs := new(bytes.Buffer)
	srv := httptest.NewServer(web.NewHandler(b, web.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}))
	t.Cleanup(srv.Close)
	return &env{url: srv.URL, fake: b.fakeBackend, logs: logs}, b
}

// TestPlace: POST /api/v1/place needs no token, reads the memory with its
// unit and answers the ranked and the refused hosts, the ranked one with
// its penalty's named costs, the denied one with the policy's message.
func TestPlace(t *testing.T) {
	e, b := newPlaceEnv(t)
	r := e.do(t, http.MethodPost, "/api/v1/place", `{"name": "web07", "cpus": 2, "memory": "4GiB", "tags": {"role": "web"}, "top": 1}`)
	if r.code != http.StatusOK {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	var got balancer.Placement
	decode(t, r, &got)
	want := balancer.PlaceRequest{Name: "web07", CPUs: 2, MemoryBytes: 4 << 30, Tags: map[string]string{"role": "web"}, Top: 1}
	if len(b.reqs) != 1 || b.reqs[0].Name != want.Name || b.reqs[0].MemoryBytes != want.MemoryBytes || b.reqs[0].Tags["role"] != "web" || b.reqs[0].Top != 1 {
		t.Errorf("the backend got %+v, want %+v", b.reqs, want)
	}
	if got.Best() == "" || len(got.Ranked) != 1 || got.Candidates < 1 {
		t.Fatalf("no best host: %s", r.body)
	}
	denied := e.fake.snap.Hosts[1].Name
	i := slices.IndexFunc(got.Refused, func(x balancer.PlaceRefusal) bool { return x.Host == denied })
	if i < 0 || got.Refused[i].Reason != balancer.PlacePolicy || !slices.Equal(got.Refused[i].Deny, []string{"new-vm: not on " + denied}) {
		t.Errorf("%s not refused with the policy's message: %s", denied, r.body)
	}
	for _, f := range []string{`"ranked": [`, `"score": `, `"cpu_after": `, `"memory_after": `, `"penalty": 5,`, `"costs": {`, `"vm_host_rule web-elsewhere": 5`, `"refused": [`, `"reason": "policy"`} {
		if !strings.Contains(r.body, f) {
			t.Errorf("the answer lacks %s:\n%s", f, r.body)
		}
	}
	// In bytes as well.
	if r := e.do(t, http.MethodPost, "/api/v1/place", `{"cpus": 2, "memory_bytes": 4294967296}`); r.code != http.StatusOK {
		t.Errorf("memory_bytes: %d %s", r.code, r.body)
	}
}

func TestPlaceRefusesBadRequests(t *testing.T) {
	e, b := newPlaceEnv(t)
	for _, tc := range []struct {
		name, body string
		code       int
		want       string
	}{
		{"no body", "", 400, "memory is required"},
		{"no memory", `{"cpus": 2}`, 400, "memory is required"},
		{"both memories", `{"cpus": 2, "memory": "4GiB", "memory_bytes": 4096}`, 400, "memory and memory_bytes given together"},
		{"no unit", `{"cpus": 2, "memory": "4"}`, 400, "a size with its unit"},
		{"too many cpus", `{"cpus": 1000, "memory": "4GiB"}`, 400, "cpus 1000: a VM has 1 to 240 virtual processors"},
		{"negative cpus", `{"cpus": -1, "memory": "4GiB"}`, 400, "cpus -1"},
		{"too much memory", `{"cpus": 2, "memory": "13TiB"}`, 400, "a VM has 32 MiB to 12 TiB"},
		{"too little memory", `{"cpus": 2, "memory_bytes": 1}`, 400, "a VM has 32 MiB to 12 TiB"},
		{"bad tag", `{"cpus": 2, "memory": "4GiB", "tags": {"a b": "c"}}`, 400, `tag "a b"`},
		{"control characters", `{"cpus": 2, "memory": "4GiB", "name": "x\u0007"}`, 400, "name: control characters"},
		{"unknown field", `{"cpus": 2, "memory": "4GiB", "disk": "1TiB"}`, 400, `unknown field "disk"`},
		{"wrong type", `{"cpus": "two", "memory": "4GiB"}`, 400, "cpus: got string, want int"},
		{"not an object", `[1]`, 400, "want an object"},
		{"trailing data", `{"cpus": 2, "memory": "4GiB"} {}`, 400, "data after the JSON object"},
		{"huge", `{"cpus": 2, "memory": "4GiB", "name": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "request body larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, http.MethodPost, "/api/v1/place", tc.body)
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.body)
			}
			if msg := errorOf(t, r); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to say %q", msg, tc.want)
			}
		})
	}
	if len(b.reqs) != 0 {
		t.Errorf("bad requests reached the backend: %+v", b.reqs)
	}
	if r := e.do(t, http.MethodGet, "/api/v1/place", ""); r.code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.code)
	}

	b.err = &wrapped{msg: "place: no snapshot yet", err: web.ErrConflict}
	if r := e.do(t, http.MethodPost, "/api/v1/place", `{"cpus": 2, "memory": "4GiB"}`); r.code != http.StatusConflict || errorOf(t, r) != "place: no snapshot yet" {
		t.Errorf("no snapshot: %d %s", r.code, r.body)
	}
	b.err = errors.New("begin session: secret detail")
	r := e.do(t, http.MethodPost, "/api/v1/place", `{"cpus": 2, "memory": "4GiB"}`)
	if r.code != http.StatusInternalServerError || strings.Contains(r.body, "secret") || !strings.Contains(e.logs.String(), "secret detail") {
		t.Errorf("a failure: %d %s (log %q), want 500 without its detail, logged", r.code, r.body, e.logs.String())
	}
}

// wrapped is an error with its own message wrapping err.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// TestPlaceNotServed: a backend without placement answers 404.
func TestPlaceNotServed(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, http.MethodPost, "/api/v1/place", `{"cpus": 2, "memory": "4GiB"}`)
	if r.code != http.StatusNotFound || !strings.Contains(errorOf(t, r), "placement is not served") {
		t.Errorf("%d %s", r.code, r.body)
	}
}
