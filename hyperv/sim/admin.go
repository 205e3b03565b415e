package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
)

// maxAdminBody bounds a request body of the admin API.
const maxAdminBody = 1 << 20

// AdminHandler serves a small JSON API over f, rooted at /admin/:
//
//	GET  /admin/ledger              {"entries": [LedgerEntry...], "hosts": {name: HostLedger}}
//	GET  /admin/fleet               {"now": time, "hosts": [HostState...], "vms": [VMState...]}
//	GET  /admin/hosts/{name}/faults the host's Faults
//	PUT  /admin/hosts/{name}/faults replace them (a Faults object, decoded strictly); answers the new ones
//	POST /admin/hosts/{name}/crash  crash the host; answers its HostState
//	GET  /admin/clock               {"now": RFC 3339, "speed": n}
//
// Errors are {"error": "..."} with a fitting status: 400 for a bad body,
// 404 for an unknown host or path, 405 for a wrong method.
func AdminHandler(f *model.Fleet) http.Handler {
	a := &admin{fleet: f}
	mux := http.NewServeMux()
	mux.Handle("/admin/ledger", methods{http.MethodGet: a.ledger})
	mux.Handle("/admin/fleet", methods{http.MethodGet: a.fleetState})
	mux.Handle("/admin/hosts/{name}/faults", methods{http.MethodGet: a.getFaults, http.MethodPut: a.putFaults})
	mux.Handle("/admin/hosts/{name}/crash", methods{http.MethodPost: a.crash})
	mux.Handle("/admin/clock", methods{http.MethodGet: a.clock})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint: %s", r.URL.Path))
	})
	return mux
}

type admin struct{ fleet *model.Fleet }

// methods routes a path by request method, answering 405 for the others.
type methods map[string]http.HandlerFunc

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := m[r.Method]
	if !ok && r.Method == http.MethodHead {
		h, ok = m[http.MethodGet]
	}
	if !ok {
		allow := ""
		for _, meth := range []string{http.MethodGet, http.MethodPut, http.MethodPost} {
			if _, has := m[meth]; has {
				if allow != "" {
					allow += ", "
				}
				allow += meth
			}
		}
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	h(w, r)
}

func (a *admin) ledger(w http.ResponseWriter, r *http.Request) {
	entries := a.fleet.Ledger()
	if entries == nil {
		entries = []model.LedgerEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries, "hosts": a.fleet.HostLedger()})
}

func (a *admin) fleetState(w http.ResponseWriter, r *http.Request) {
	hosts := []model.HostState{}
	vms := []model.VMState{}
	for _, name := range a.fleet.HostNames() {
		if h, ok := a.fleet.Host(name); ok {
			hosts = append(hosts, h)
		}
		vms = append(vms, a.fleet.VMs(name)...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": a.fleet.Clock().Now(), "hosts": hosts, "vms": vms})
}

func (a *admin) getFaults(w http.ResponseWriter, r *http.Request) {
	fl, err := a.fleet.Faults(r.PathValue("name"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, fl)
}

func (a *admin) putFaults(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, ok := a.fleet.Host(name); !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("set faults of %s: %w", name, model.ErrUnknownHost))
		return
	}
	var fl fleetfile.Faults
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fl); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode faults: %w", err))
		return
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, errors.New("decode faults: more than one JSON value"))
		return
	}
	if err := a.fleet.SetFaults(name, fl); err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	a.getFaults(w, r)
}

func (a *admin) crash(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := a.fleet.Crash(name); err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	h, _ := a.fleet.Host(name)
	writeJSON(w, http.StatusOK, h)
}

func (a *admin) clock(w http.ResponseWriter, r *http.Request) {
	c := a.fleet.Clock()
	speed := 0.0 // a clock that only moves when told to
	if s, ok := c.(interface{ Speed() float64 }); ok {
		speed = s.Speed()
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": c.Now().Format(time.RFC3339Nano), "speed": speed})
}

// statusOf maps a fleet error to an HTTP status.
func statusOf(err error) int {
	if errors.Is(err, model.ErrUnknownHost) {
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError answers {"error": err}.
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
