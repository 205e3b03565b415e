package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// Bounds on what a caller may name.
const (
	maxPlanID    = 128
	maxBy        = 128
	maxReason    = 1024
	defaultBy    = "api"
	defaultPause = "paused through the API"
)

// Plans is the answer of GET /api/v1/plans, newest first.
type Plans struct {
	Plans []PlanInfo `json:"plans"`
}

// Approval is the answer of POST /api/v1/plans/{id}/approve.
type Approval struct {
	Plan       string `json:"plan"`
	ApprovedBy string `json:"approved_by"`
}

// status returns the backend's status with lists that encode as [].
func (s *server) status() Status {
	st := s.b.Status()
	if st.InFlight == nil {
		st.InFlight = []Migration{}
	}
	if st.StoppedCredentials == nil {
		st.StoppedCredentials = []StoppedCredential{}
	}
	return st
}

func (s *server) apiStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.status())
}

func (s *server) apiHosts(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, hostsOf(s.b.Snapshot(), s.b.Maintenance()))
}

func (s *server) apiPlans(w http.ResponseWriter, _ *http.Request) {
	p := s.b.Plans()
	if p == nil {
		p = []PlanInfo{}
	}
	writeJSON(w, http.StatusOK, Plans{Plans: p})
}

func (s *server) apiHistory(w http.ResponseWriter, r *http.Request) {
	limit := defaultHistory
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a whole number from 1 to 1000")
			return
		}
		limit = min(n, maxHistory)
	}
	writeJSON(w, http.StatusOK, History{Entries: historyOf(s.b.History(limit), limit)})
}

// validPlanID accepts what a plan ID can be and nothing a file name could
// turn into a path: letters, digits, '-', '_' and '.', no "..".
func validPlanID(id string) bool {
	if id == "" || len(id) > maxPlanID || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok || c == '.' && i > 0 && id[i-1] == '.' {
			return false
		}
	}
	return true
}

// plan looks up the plan named in the path, answering itself when it
// cannot be had.
func (s *server) plan(w http.ResponseWriter, r *http.Request) (*balancer.Plan, bool) {
	id := r.PathValue("id")
	if !validPlanID(id) {
		writeError(w, http.StatusBadRequest, "bad plan id")
		return nil, false
	}
	p, err := s.b.Plan(id)
	if err != nil {
		s.backendError(w, r, "get plan", err)
		return nil, false
	}
	return p, true
}

// render writes one of a plan's forms.
func (s *server) render(w http.ResponseWriter, r *http.Request, contentType string, write func(*balancer.Plan, *bytes.Buffer) error) {
	p, ok := s.plan(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := write(p, &buf); err != nil {
		s.log.Error("render plan", "plan_id", p.ID, "error", err)
		writeError(w, http.StatusInternalServerError, "render plan: internal error (see the daemon log)")
		return
	}
	writeBody(w, contentType, &buf)
}

func (s *server) apiPlan(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "application/json", func(p *balancer.Plan, b *bytes.Buffer) error { return p.WriteJSON(b) })
}

func (s *server) apiPlanMarkdown(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "text/markdown; charset=utf-8", func(p *balancer.Plan, b *bytes.Buffer) error { return p.WriteMarkdown(b) })
}

func (s *server) apiPlanHTML(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", pageCSP)
	s.render(w, r, "text/html; charset=utf-8", func(p *balancer.Plan, b *bytes.Buffer) error { return p.WriteHTML(b) })
}

// checkText refuses a name or reason that is too long, not UTF-8 or holds
// a control character (it ends up in logs and on the status page).
func checkText(field, v string, limit int) error {
	if len(v) > limit {
		return fmt.Errorf("%w: %s longer than %d bytes", errBadBody, field, limit)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not UTF-8", errBadBody, field)
	}
	for _, c := range v {
		if unicode.IsControl(c) {
			return fmt.Errorf("%w: %s holds a control character", errBadBody, field)
		}
	}
	return nil
}

func (s *server) apiApprove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validPlanID(id) {
		writeError(w, http.StatusBadRequest, "bad plan id")
		return
	}
	var body struct {
		By string `json:"by"`
	}
	if err := decodeBody(r, &body); err != nil {
		bodyError(w, err)
		return
	}
	if err := checkText("by", body.By, maxBy); err != nil {
		bodyError(w, err)
		return
	}
	if body.By == "" {
		body.By = defaultBy
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	if err := s.b.Approve(ctx, id, body.By); err != nil {
		s.backendError(w, r, "approve plan", err)
		return
	}
	s.log.Info("plan approved", "plan_id", id, "by", body.By, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, Approval{Plan: id, ApprovedBy: body.By})
}

func (s *server) apiPause(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeBody(r, &body); err != nil {
		bodyError(w, err)
		return
	}
	if err := checkText("reason", body.Reason, maxReason); err != nil {
		bodyError(w, err)
		return
	}
	if body.Reason == "" {
		body.Reason = defaultPause
	}
	if err := s.b.Pause(body.Reason); err != nil {
		s.backendError(w, r, "pause", err)
		return
	}
	s.log.Info("paused", "reason", body.Reason, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, s.status())
}

func (s *server) apiResume(w http.ResponseWriter, r *http.Request) {
	if err := decodeBody(r, &struct{}{}); err != nil {
		bodyError(w, err)
		return
	}
	if err := s.b.Resume(); err != nil {
		s.backendError(w, r, "resume", err)
		return
	}
	s.log.Info("resumed", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, s.status())
}

func (s *server) apiReload(w http.ResponseWriter, r *http.Request) {
	if err := decodeBody(r, &struct{}{}); err != nil {
		bodyError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	if err := s.b.Reload(ctx); err != nil {
		s.backendError(w, r, "reload", err)
		return
	}
	s.log.Info("reloaded", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, s.status())
}
