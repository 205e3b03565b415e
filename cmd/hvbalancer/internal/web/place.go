package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// Placer ranks the hosts where a new VM should go, on the latest snapshot
// and under the running policy. A Backend that implements it serves POST
// /api/v1/place; the daemon does. A request out of bounds is an error
// wrapping balancer.ErrPlaceRequest; before the first snapshot, one
// wrapping ErrConflict.
type Placer interface {
	Place(ctx context.Context, req balancer.PlaceRequest) (*balancer.Placement, error)
}

// PlaceBody is the body of POST /api/v1/place: the VM to place. Memory is
// given with its unit ("16GiB") or in bytes (MemoryBytes), not both.
type PlaceBody struct {
	Name          string            `json:"name,omitempty"`
	CPUs          int               `json:"cpus"`
	Memory        string            `json:"memory,omitempty"`
	MemoryBytes   int64             `json:"memory_bytes,omitempty"`
	CPULoad       float64           `json:"cpu_load,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	Cluster       string            `json:"cluster,omitempty"`
	ConfigVersion string            `json:"config_version,omitempty"`
	Top           int               `json:"top,omitempty"`
}

// Request is the body as a placement request: an error wrapping
// balancer.ErrPlaceRequest when its memory is missing, given twice or
// unreadable (the rest is bounded by balancer.PlaceRequest.Validate).
func (b PlaceBody) Request() (balancer.PlaceRequest, error) {
	req := balancer.PlaceRequest{
		Name: b.Name, CPUs: b.CPUs, MemoryBytes: b.MemoryBytes, CPULoad: b.CPULoad,
		Tags: b.Tags, Cluster: b.Cluster, ConfigVersion: b.ConfigVersion, Top: b.Top,
	}
	switch {
	case b.Memory != "" && b.MemoryBytes != 0:
		return req, fmt.Errorf("placement request: memory and memory_bytes given together: %w", balancer.ErrPlaceRequest)
	case b.Memory != "":
		n, err := balancer.ParseMemorySize(b.Memory)
		if err != nil {
			return req, err
		}
		req.MemoryBytes = n
	case b.MemoryBytes == 0:
		return req, fmt.Errorf("placement request: memory is required, with its unit (16GiB): %w", balancer.ErrPlaceRequest)
	}
	return req, req.Validate()
}

// apiPlace answers POST /api/v1/place. Placement only reads the fleet and
// the policy, so it needs no token, as the GET routes do; its body is
// bounded as a mutating request's is.
func (s *server) apiPlace(w http.ResponseWriter, r *http.Request) {
	p, ok := s.b.(Placer)
	if !ok {
		writeError(w, http.StatusNotFound, "placement is not served by this daemon")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	var body PlaceBody
	if err := decodeBody(r, &body); err != nil {
		bodyError(w, err)
		return
	}
	req, err := body.Request()
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	out, err := p.Place(ctx, req)
	switch {
	case errors.Is(err, balancer.ErrPlaceRequest):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil && errorStatus(err) >= 500:
		// No token guards this route: the log has the whole error.
		s.log.Error("place", "path", r.URL.Path, "error", err)
		writeError(w, errorStatus(err), "place: internal error (see the daemon log)")
	case err != nil:
		writeError(w, errorStatus(err), err.Error())
	default:
		writeJSON(w, http.StatusOK, out)
	}
}
