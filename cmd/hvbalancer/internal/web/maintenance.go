package web

import (
	"context"
	"net/http"
	"time"
)

// A host is in maintenance by its configuration (hosts[].maintenance),
// by its label maintenance=true, or through the API (POST and DELETE
// /api/v1/hosts/{name}/maintenance, or `hvbalancer maintenance`). The API
// can end only what the API began: a host in maintenance by its
// configuration or label leaves it when the file says so and is reloaded.

// MaintenanceSource says where a host's maintenance comes from.
type MaintenanceSource string

// Maintenance sources.
const (
	MaintenanceConfig MaintenanceSource = "config" // hosts[].maintenance: true
	MaintenanceLabel  MaintenanceSource = "label"  // hosts[].labels.maintenance: "true"
	MaintenanceAPI    MaintenanceSource = "api"    // entered through the API or the CLI
)

// MaintenanceState is one reason a host is in maintenance.
type MaintenanceState struct {
	Source MaintenanceSource `json:"source"`
	// Since, By and Reason are known for the API's: when it was entered
	// (wall clock), by whom and why.
	Since  time.Time `json:"since,omitzero"`
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// MaintenanceChange is the answer of POST and DELETE
// /api/v1/hosts/{name}/maintenance: the host's maintenance after the call.
type MaintenanceChange struct {
	Host        string `json:"host"`
	Maintenance bool   `json:"maintenance"`
	// Changed is false when the call found the host as it asked (entered
	// twice, or left when it was not in maintenance through the API).
	Changed bool               `json:"changed"`
	Sources []MaintenanceState `json:"sources"`
}

// defaultMaintenance is the reason recorded when the caller gives none.
const defaultMaintenance = "maintenance through the API"

// validHostName accepts what a configured host name can be: 1..15
// letters, digits and hyphens. Anything else cannot name a host, so it is
// refused before the backend sees it.
func validHostName(name string) bool {
	if name == "" || len(name) > 15 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// maintenanceBody is the optional body of both calls.
type maintenanceBody struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// readMaintenance reads the host name and the body, answering itself when
// either is bad.
func readMaintenance(w http.ResponseWriter, r *http.Request) (string, maintenanceBody, bool) {
	var body maintenanceBody
	host := r.PathValue("name")
	if !validHostName(host) {
		writeError(w, http.StatusBadRequest, "bad host name: a computer name has 1 to 15 letters, digits and hyphens")
		return "", body, false
	}
	if err := decodeBody(r, &body); err != nil {
		bodyError(w, err)
		return "", body, false
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"by", body.By, maxBy}, {"reason", body.Reason, maxReason}} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			bodyError(w, err)
			return "", body, false
		}
	}
	if body.By == "" {
		body.By = defaultBy
	}
	return host, body, true
}

func (s *server) apiEnterMaintenance(w http.ResponseWriter, r *http.Request) {
	s.changeMaintenance(w, r, true)
}

func (s *server) apiExitMaintenance(w http.ResponseWriter, r *http.Request) {
	s.changeMaintenance(w, r, false)
}

// changeMaintenance puts the request's host in maintenance (enter) or
// takes it out, and logs who did it and why when that changed anything.
func (s *server) changeMaintenance(w http.ResponseWriter, r *http.Request, enter bool) {
	host, body, ok := readMaintenance(w, r)
	if !ok {
		return
	}
	change, op, done := s.b.ExitMaintenance, "exit maintenance", "host maintenance ended"
	if enter {
		if body.Reason == "" {
			body.Reason = defaultMaintenance
		}
		change, op, done = s.b.EnterMaintenance, "enter maintenance", "host maintenance entered"
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	out, err := change(ctx, host, body.By, body.Reason)
	if err != nil {
		s.backendError(w, r, op, err)
		return
	}
	if out.Changed {
		s.log.Info(done, "host", out.Host, "by", body.By, "reason", body.Reason, "remote", r.RemoteAddr)
	}
	writeJSON(w, http.StatusOK, out)
}
